//! Attribute values decoded once and shared: a store that keeps a record (the in-memory
//! store, a local cache) keeps beside it the values [`SessionData::get_shared`] decoded from
//! it, so that the next request reading the same unchanged value gets it without decoding.
//!
//! [`SessionData::get_shared`]: crate::SessionData::get_shared

use std::any::{Any, TypeId};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;

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
        let value: Arc<dyn Any + Send + Sync> = Arc::clone(value) as _;
        self.put_erased(name, TypeId::of::<T>(), value);
    }

    /// [`DecodedValues::put`] of a value whose type is `type_id`.
    fn put_erased(&self, name: &str, type_id: TypeId, value: Arc<dyn Any + Send + Sync>) {
        let mut entries = self.lock();
        if entries.len() >= MAX_DECODED_VALUES
            || entries
                .iter()
                .any(|e| e.type_id == type_id && &*e.name == name)
        {
            return;
        }
        entries.push(Entry {
            name: name.into(),
            type_id,
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

/// A value given to [`SessionData::insert_shared`](crate::SessionData::insert_shared),
/// with the bytes it was encoded to: after the save, the store keeps it as the decoded
/// value of the attribute it stores, if the stored bytes are still those.
#[derive(Clone)]
pub(crate) struct FreshValue {
    pub(crate) name: Box<str>,
    type_id: TypeId,
    value: Arc<dyn Any + Send + Sync>,
    bytes: Bytes,
}

impl FreshValue {
    pub(crate) fn new<T: Any + Send + Sync>(name: &str, value: Arc<T>, bytes: Bytes) -> Self {
        Self {
            name: name.into(),
            type_id: TypeId::of::<T>(),
            value,
            bytes,
        }
    }

    /// The value, if it is attribute `name` as a `T` encoded to `bytes` (the same buffer).
    pub(crate) fn get<T: Any + Send + Sync>(&self, name: &str, bytes: &Bytes) -> Option<Arc<T>> {
        if self.type_id != TypeId::of::<T>() || &*self.name != name || !same(&self.bytes, bytes) {
            return None;
        }
        Arc::clone(&self.value).downcast::<T>().ok()
    }
}

/// Whether two attribute values are the same bytes: the same buffer (the usual case: the
/// store holds the bytes the session encoded), or equal contents.
fn same(a: &Bytes, b: &Bytes) -> bool {
    (a.as_ptr() == b.as_ptr() && a.len() == b.len()) || a == b
}

/// Hands `fresh` values to `decoded`, the values a store keeps beside the attributes
/// `stored`, for each attribute that `stored` holds with the bytes the value was encoded to.
pub(crate) fn seed(
    fresh: &[FreshValue],
    stored: &BTreeMap<String, Bytes>,
    decoded: &DecodedValues,
) {
    for f in fresh {
        if stored.get(&*f.name).is_some_and(|b| same(b, &f.bytes)) {
            decoded.put_erased(&f.name, f.type_id, Arc::clone(&f.value));
        }
    }
}

/// Never shows the value.
impl fmt::Debug for FreshValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FreshValue")
            .field("name", &self.name)
            .field("bytes", &self.bytes.len())
            .finish_non_exhaustive()
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
    fn fresh_values_seed_only_attributes_stored_with_their_bytes() {
        let bytes = Bytes::from_static(b"[1,2]");
        let fresh = [FreshValue::new(
            "cart",
            Arc::new(vec![1u32, 2]),
            bytes.clone(),
        )];
        let mut stored = BTreeMap::new();
        stored.insert("cart".to_owned(), Bytes::from_static(b"[3]"));
        let decoded = DecodedValues::default();
        seed(&fresh, &stored, &decoded);
        assert!(decoded.is_empty(), "other bytes: nothing kept");
        stored.insert("cart".to_owned(), Bytes::copy_from_slice(b"[1,2]"));
        seed(&fresh, &stored, &decoded);
        assert_eq!(
            decoded.get::<Vec<u32>>("cart").as_deref(),
            Some(&vec![1, 2]),
            "equal bytes in another buffer: kept"
        );
        assert!(
            decoded.get::<Vec<i64>>("cart").is_none(),
            "only as its own type"
        );
        assert!(fresh[0].get::<Vec<u32>>("cart", &bytes).is_some());
        assert!(fresh[0].get::<Vec<u32>>("other", &bytes).is_none());
        assert!(
            fresh[0]
                .get::<Vec<u32>>("cart", &Bytes::from_static(b"[3]"))
                .is_none()
        );
    }

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
