//! Field-level patches for updates: unchanged, set, or cleared.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What an update does to one field.
///
/// In JSON an absent key is [`Patch::Unchanged`], `null` is [`Patch::Clear`] and any value is
/// [`Patch::Set`], so `{"title": null}` clears the title and `{}` changes nothing.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Patch<T> {
    /// Leave the stored value as it is.
    #[default]
    Unchanged,
    /// Replace the stored value.
    Set(T),
    /// Remove the stored value (lists become empty).
    Clear,
}

impl<T> Patch<T> {
    /// `true` when the field is left alone.
    pub fn is_unchanged(&self) -> bool {
        matches!(self, Patch::Unchanged)
    }

    /// The new value, if the patch sets one.
    pub fn as_set(&self) -> Option<&T> {
        match self {
            Patch::Set(v) => Some(v),
            _ => None,
        }
    }

    /// Borrowing view of the patch.
    pub fn as_ref(&self) -> Patch<&T> {
        match self {
            Patch::Unchanged => Patch::Unchanged,
            Patch::Set(v) => Patch::Set(v),
            Patch::Clear => Patch::Clear,
        }
    }

    /// Maps the value of a [`Patch::Set`].
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Patch<U> {
        match self {
            Patch::Unchanged => Patch::Unchanged,
            Patch::Set(v) => Patch::Set(f(v)),
            Patch::Clear => Patch::Clear,
        }
    }

    /// Applies the patch to an optional stored value.
    pub fn apply_to(self, target: &mut Option<T>) {
        match self {
            Patch::Unchanged => {}
            Patch::Set(v) => *target = Some(v),
            Patch::Clear => *target = None,
        }
    }

    /// Applies the patch to a required stored value (`Clear` resets it to its default).
    pub fn apply_to_required(self, target: &mut T)
    where
        T: Default,
    {
        match self {
            Patch::Unchanged => {}
            Patch::Set(v) => *target = v,
            Patch::Clear => *target = T::default(),
        }
    }
}

impl<T> Patch<Vec<T>> {
    /// Applies a list patch: `Set` replaces the list, `Clear` empties it.
    pub fn apply_to_list(self, target: &mut Vec<T>) {
        match self {
            Patch::Unchanged => {}
            Patch::Set(v) => *target = v,
            Patch::Clear => target.clear(),
        }
    }
}

impl<T> From<Option<T>> for Patch<T> {
    /// `Some` sets, `None` clears.
    fn from(v: Option<T>) -> Self {
        match v {
            Some(v) => Patch::Set(v),
            None => Patch::Clear,
        }
    }
}

impl<T: Serialize> Serialize for Patch<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            // Only reached when a caller serializes a bare Patch; struct fields skip it.
            Patch::Unchanged | Patch::Clear => s.serialize_none(),
            Patch::Set(v) => v.serialize(s),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Patch<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match Option::<T>::deserialize(d)? {
            Some(v) => Patch::Set(v),
            None => Patch::Clear,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    struct P {
        #[serde(default, skip_serializing_if = "Patch::is_unchanged")]
        a: Patch<String>,
        #[serde(default, skip_serializing_if = "Patch::is_unchanged")]
        b: Patch<String>,
        #[serde(default, skip_serializing_if = "Patch::is_unchanged")]
        c: Patch<String>,
    }

    #[test]
    fn absent_null_value_round_trip() {
        let p: P = serde_json::from_str(r#"{"b":null,"c":"x"}"#).unwrap();
        assert_eq!(p.a, Patch::Unchanged);
        assert_eq!(p.b, Patch::Clear);
        assert_eq!(p.c, Patch::Set("x".into()));
        assert_eq!(serde_json::to_string(&p).unwrap(), r#"{"b":null,"c":"x"}"#);
    }

    #[test]
    fn apply() {
        let mut v = Some(1);
        Patch::Unchanged.apply_to(&mut v);
        assert_eq!(v, Some(1));
        Patch::Set(2).apply_to(&mut v);
        assert_eq!(v, Some(2));
        Patch::Clear.apply_to(&mut v);
        assert_eq!(v, None);
        let mut l = vec![1, 2];
        Patch::Clear.apply_to_list(&mut l);
        assert!(l.is_empty());
    }
}
