//! Floats in JSON, for the journal and the settings it records: every `f64` written so that
//! it reads back with the same bits, NaN and infinities included.

/// An `f64` in JSON that survives every value, bit for bit: finite numbers as JSON numbers
/// (or, for the few serde_json would not read back exactly, as a decimal string), NaN and
/// infinities (a diverging trial's loss) as the strings `"NaN"`, `"inf"` and `"-inf"`, since
/// JSON has no number for them and `serde_json` would write `null`. Reads numbers, those
/// strings, and `null` as NaN (what journals written before held for a non-finite value).
pub mod float {
    use std::fmt;

    use serde::de::{self, Deserializer, Visitor};
    use serde::ser::Serializer;

    pub fn serialize<S: Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
        if value.is_finite() {
            // serde_json's number parser (without its slower exact mode) can land one unit in
            // the last place off for some long mantissas; those few values are written as a
            // string of the shortest exact decimal, which reads back exactly.
            let exact = serde_json::to_string(value)
                .ok()
                .and_then(|text| serde_json::from_str::<f64>(&text).ok())
                .is_some_and(|back| back.to_bits() == value.to_bits());
            if exact {
                serializer.serialize_f64(*value)
            } else {
                serializer.serialize_str(&format!("{value:e}"))
            }
        } else if value.is_nan() {
            serializer.serialize_str("NaN")
        } else if *value > 0.0 {
            serializer.serialize_str("inf")
        } else {
            serializer.serialize_str("-inf")
        }
    }

    /// The non-finite value a string names, in the spellings [`serialize`] writes and a few
    /// common others.
    pub fn parse_non_finite(text: &str) -> Option<f64> {
        match text.to_ascii_lowercase().as_str() {
            "nan" => Some(f64::NAN),
            "inf" | "+inf" | "infinity" | "+infinity" => Some(f64::INFINITY),
            "-inf" | "-infinity" => Some(f64::NEG_INFINITY),
            _ => None,
        }
    }

    pub(super) struct FloatVisitor;

    impl<'de> Visitor<'de> for FloatVisitor {
        type Value = f64;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a number, or \"NaN\", \"inf\" or \"-inf\"")
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
            Ok(v)
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
            Ok(v as f64)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
            Ok(v as f64)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<f64, E> {
            parse_non_finite(v)
                .or_else(|| v.parse::<f64>().ok())
                .ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self))
        }
        fn visit_unit<E: de::Error>(self) -> Result<f64, E> {
            Ok(f64::NAN)
        }
        fn visit_none<E: de::Error>(self) -> Result<f64, E> {
            Ok(f64::NAN)
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
        deserializer.deserialize_any(FloatVisitor)
    }
}

/// An optional `f64` in JSON: `None` as `null` (or the key left out), a value as in [`float`].
pub mod opt_float {
    use std::fmt;

    use serde::de::{self, Deserializer, Visitor};
    use serde::ser::Serializer;

    pub fn serialize<S: Serializer>(value: &Option<f64>, serializer: S) -> Result<S::Ok, S::Error> {
        match value {
            None => serializer.serialize_none(),
            Some(v) => super::float::serialize(v, serializer),
        }
    }

    struct OptVisitor;

    impl<'de> Visitor<'de> for OptVisitor {
        type Value = Option<f64>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("null, a number, or \"NaN\", \"inf\" or \"-inf\"")
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v as f64))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v as f64))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            super::float::FloatVisitor.visit_str(v).map(Some)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<f64>, D::Error> {
        deserializer.deserialize_any(OptVisitor)
    }
}
