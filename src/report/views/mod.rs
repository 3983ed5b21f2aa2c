//! The views of a [`Summary`](super::Summary): they read it and compute nothing of their own.
//! [`document`] holds the words and tables every text view shares; [`text`] renders them as
//! Markdown and for the terminal, [`files`] writes `summary.md` and the table CSVs,
//! [`html`] the page and [`plots`] its SVG figures.

pub(crate) mod collection;
pub(crate) mod document;
pub(crate) mod files;
pub(crate) mod html;
pub(crate) mod plots;
pub(crate) mod text;
