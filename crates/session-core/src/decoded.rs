//! Attribute values decoded once and shared: a store that keeps a record (the in-memory
//! store, a local cache) keeps beside it the values [`SessionData::get_shared`] decoded from
//! it, so that the next request reading the same unchanged value gets it without decoding.
//!
//! [`SessionData::get_shared`]: crate::SessionData::get_shared

use std::any::{Any, TypeId};
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

/// Decoded values kept per stored record at most (one per attribute and Rust type read);
/// past it, values are decoded on every read (the memory a record holds stays bounded).
pub const MAX_DECODED_VALUES: usize = 16;

/// Decoded attribute values of one stored record, by attribute name and Rust type.
///
/// A store keeps one beside every record it shares with the sessions it loads (see
/// [`SessionConfig::load_session_shared`](crate::SessionConfig::load_session_shared)),
/// and drops it with the record: a changed record comes with an empty one, so a value is
/// never served for bytes other than those it was decoded from.
///
/// ```
/// use session_core::DecodedValues;
///
/// let decoded = DecodedValues::default();
/// assert_eq!(decoded.len(), 0);
/// ```
#[derive(Default)]
pub struct DecodedValues {
    entries: Mutex<Vec<Entry>>,
}

struct Entry {
    name: Box<str>,
    type_id: TypeId,
    value: Arc<dyn Any + Send + Sync>,
}

impl DecodedValues {
    /// Number of values kept.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no value is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Entry>> {
        // Every change is one push or one clear: a panic elsewhere cannot leave it torn.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The value of attribute `name` decoded as a `T`, if kept.
    pub(crate) fn get<T: Any + Send + Sync>(&self, name: &str) -> Option<Arc<T>> {
        let wanted = TypeId::of::<T>();
        let value = self
            .lock()
            .iter()
            .find(|e| e.type_id == wanted && &*e.name == name)
            .map(|e| Arc::clone(&e.value))?;
        value.downcast::<T>().ok()
    }

    /// Keeps `value` as attribute `name` decoded as a `T` (unless one is kept already or
    /// [`MAX_DECODED_VALUES`] are).
    pub(crate) fn put<T: Any + Send + Sync>(&self, name: &str, value: &Arc<T>) {
        let wanted = TypeId::of::<T>();
        let mut entries = self.lock();
        if entries.len() >= MAX_DECODED_VALUES
            || entries
                .iter()
                .any(|e| e.type_id == wanted && &*e.name == name)
        {
            return;
        }
        let value: Arc<dyn Any + Send + Sync> = Arc::clone(value) as _;
        entries.push(Entry {
            name: name.into(),
            type_id: wanted,
            value,
        });
    }

    /// Forgets every value (the record they were decoded from changed in place).
    pub(crate) fn clear(&mut self) {
        self.entries
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

/// Never shows the values.
impl fmt::Debug for DecodedValues {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DecodedValues")
            .field("len", &self.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_one_value_per_name_and_type() {
        let d = DecodedValues::default();
        assert!(d.get::<u32>("a").is_none());
        let a = Arc::new(5u32);
        d.put("a", &a);
        let again = d.get::<u32>("a").expect("kept");
        assert!(Arc::ptr_eq(&a, &again));
        // Another type or another name is another value.
        assert!(d.get::<i64>("a").is_none());
        assert!(d.get::<u32>("b").is_none());
        d.put("a", &Arc::new(String::from("x")));
        assert_eq!(
            d.get::<String>("a").as_deref().map(String::as_str),
            Some("x")
        );
        // The first value of a name and type stays.
        d.put("a", &Arc::new(6u32));
        assert_eq!(d.get::<u32>("a").as_deref(), Some(&5));
        assert_eq!(d.len(), 2);
    }

    #[test]
    fn is_bounded_and_cleared() {
        let mut d = DecodedValues::default();
        for i in 0..MAX_DECODED_VALUES + 5 {
            d.put(&format!("n{i}"), &Arc::new(i));
        }
        assert_eq!(d.len(), MAX_DECODED_VALUES);
        assert!(d.get::<usize>(&format!("n{MAX_DECODED_VALUES}")).is_none());
        d.clear();
        assert!(d.is_empty());
        assert!(format!("{d:?}").contains("len: 0"));
    }
}
