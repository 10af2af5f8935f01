//! Compact field kinds (`FieldKind`) with their ids and sizes.

macro_rules! kinds {
    ($($name:ident = $id:expr, $hz:expr, $size:expr, $doc:expr;)*) => {
        /// The kind of a Compact field, with Hazelcast's numeric id.
        ///
        /// `CHAR`, `ARRAY_OF_CHAR`, `PORTABLE` and `ARRAY_OF_PORTABLE` exist in Hazelcast's enum
        /// but are not supported by Compact, so they are not listed here.
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum FieldKind {
            $(#[doc = $doc] $name = $id,)*
        }

        impl FieldKind {
            /// Every supported kind, by id.
            pub const ALL: &'static [FieldKind] = &[$(FieldKind::$name,)*];

            /// The kind with this id, if Compact supports it.
            pub fn from_id(id: i32) -> Option<Self> {
                match id {
                    $($id => Some(FieldKind::$name),)*
                    _ => None,
                }
            }

            /// Hazelcast's name of the kind, e.g. `NULLABLE_INT64`.
            pub fn name(self) -> &'static str {
                match self {
                    $(FieldKind::$name => $hz,)*
                }
            }

            /// Bytes in the fixed section: `Some(0)` for BOOLEAN (a bit), `None` for var-size.
            pub fn fixed_size(self) -> Option<usize> {
                match self {
                    $(FieldKind::$name => $size,)*
                }
            }
        }
    };
}

kinds! {
    Boolean = 1, "BOOLEAN", Some(0), "A boolean, bit-packed in the fixed section.";
    ArrayOfBoolean = 2, "ARRAY_OF_BOOLEAN", None, "An array of booleans, bit-packed.";
    Int8 = 3, "INT8", Some(1), "A signed byte.";
    ArrayOfInt8 = 4, "ARRAY_OF_INT8", None, "An array of signed bytes.";
    Int16 = 7, "INT16", Some(2), "A 16-bit integer.";
    ArrayOfInt16 = 8, "ARRAY_OF_INT16", None, "An array of 16-bit integers.";
    Int32 = 9, "INT32", Some(4), "A 32-bit integer.";
    ArrayOfInt32 = 10, "ARRAY_OF_INT32", None, "An array of 32-bit integers.";
    Int64 = 11, "INT64", Some(8), "A 64-bit integer.";
    ArrayOfInt64 = 12, "ARRAY_OF_INT64", None, "An array of 64-bit integers.";
    Float32 = 13, "FLOAT32", Some(4), "A 32-bit float.";
    ArrayOfFloat32 = 14, "ARRAY_OF_FLOAT32", None, "An array of 32-bit floats.";
    Float64 = 15, "FLOAT64", Some(8), "A 64-bit float.";
    ArrayOfFloat64 = 16, "ARRAY_OF_FLOAT64", None, "An array of 64-bit floats.";
    String = 17, "STRING", None, "A nullable UTF-8 string.";
    ArrayOfString = 18, "ARRAY_OF_STRING", None, "An array of nullable strings.";
    Decimal = 19, "DECIMAL", None, "A nullable arbitrary-precision decimal.";
    ArrayOfDecimal = 20, "ARRAY_OF_DECIMAL", None, "An array of nullable decimals.";
    Time = 21, "TIME", None, "A nullable local time.";
    ArrayOfTime = 22, "ARRAY_OF_TIME", None, "An array of nullable local times.";
    Date = 23, "DATE", None, "A nullable local date.";
    ArrayOfDate = 24, "ARRAY_OF_DATE", None, "An array of nullable local dates.";
    Timestamp = 25, "TIMESTAMP", None, "A nullable local date-time.";
    ArrayOfTimestamp = 26, "ARRAY_OF_TIMESTAMP", None, "An array of nullable local date-times.";
    TimestampWithTimezone = 27, "TIMESTAMP_WITH_TIMEZONE", None, "A nullable date-time with a UTC offset.";
    ArrayOfTimestampWithTimezone = 28, "ARRAY_OF_TIMESTAMP_WITH_TIMEZONE", None, "An array of nullable offset date-times.";
    Compact = 29, "COMPACT", None, "A nullable nested Compact record.";
    ArrayOfCompact = 30, "ARRAY_OF_COMPACT", None, "An array of nullable nested Compact records.";
    NullableBoolean = 33, "NULLABLE_BOOLEAN", None, "A nullable boolean.";
    ArrayOfNullableBoolean = 34, "ARRAY_OF_NULLABLE_BOOLEAN", None, "An array of nullable booleans.";
    NullableInt8 = 35, "NULLABLE_INT8", None, "A nullable signed byte.";
    ArrayOfNullableInt8 = 36, "ARRAY_OF_NULLABLE_INT8", None, "An array of nullable signed bytes.";
    NullableInt16 = 37, "NULLABLE_INT16", None, "A nullable 16-bit integer.";
    ArrayOfNullableInt16 = 38, "ARRAY_OF_NULLABLE_INT16", None, "An array of nullable 16-bit integers.";
    NullableInt32 = 39, "NULLABLE_INT32", None, "A nullable 32-bit integer.";
    ArrayOfNullableInt32 = 40, "ARRAY_OF_NULLABLE_INT32", None, "An array of nullable 32-bit integers.";
    NullableInt64 = 41, "NULLABLE_INT64", None, "A nullable 64-bit integer.";
    ArrayOfNullableInt64 = 42, "ARRAY_OF_NULLABLE_INT64", None, "An array of nullable 64-bit integers.";
    NullableFloat32 = 43, "NULLABLE_FLOAT32", None, "A nullable 32-bit float.";
    ArrayOfNullableFloat32 = 44, "ARRAY_OF_NULLABLE_FLOAT32", None, "An array of nullable 32-bit floats.";
    NullableFloat64 = 45, "NULLABLE_FLOAT64", None, "A nullable 64-bit float.";
    ArrayOfNullableFloat64 = 46, "ARRAY_OF_NULLABLE_FLOAT64", None, "An array of nullable 64-bit floats.";
}

impl FieldKind {
    /// Hazelcast's numeric id of the kind.
    pub fn id(self) -> i32 {
        self as i32
    }

    /// Whether the field lives in the variable-size section (found through the offset table).
    pub fn is_var_size(self) -> bool {
        self.fixed_size().is_none()
    }
}

impl std::fmt::Display for FieldKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
