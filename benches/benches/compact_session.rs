//! Encode and decode of a Hazelcast Spring Session `BackingMapSession` Compact record with
//! 20 attributes (10 String values, 10 JSON values), as the session repository stores it.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hazelcast_protocol::compact::{
    Compact, CompactDeserialize, CompactReader, CompactWriter, SchemaRegistry,
};
use hazelcast_protocol::data::Data;
use hazelcast_protocol::serialization::{JsonValue, SerializationError, ToData};

struct AttributeValue {
    object_bytes: Vec<u8>,
}

impl Compact for AttributeValue {
    fn type_name(&self) -> &str {
        "AttributeValue"
    }
    fn write<'a>(&'a self, w: &mut CompactWriter<'a>) -> Result<(), SerializationError> {
        w.write_array_of_int8("objectBytes", Some(&self.object_bytes));
        Ok(())
    }
}

impl CompactDeserialize for AttributeValue {
    fn read(r: &CompactReader<'_>) -> Result<Self, SerializationError> {
        Ok(Self {
            object_bytes: r
                .read_array_of_int8("objectBytes")?
                .unwrap_or_default()
                .to_vec(),
        })
    }
}

struct BackingMapSession {
    original_id: String,
    id: String,
    principal_name: Option<String>,
    creation: (i64, i32),
    last_accessed: (i64, i32),
    max_inactive: (i64, i32),
    attribute_names: Vec<String>,
    attribute_values: Vec<AttributeValue>,
}

impl Compact for BackingMapSession {
    fn type_name(&self) -> &str {
        "BackingMapSession"
    }
    fn write<'a>(&'a self, w: &mut CompactWriter<'a>) -> Result<(), SerializationError> {
        w.write_string("originalId", Some(&self.original_id));
        w.write_string("id", Some(&self.id));
        w.write_string("principalName", self.principal_name.as_deref());
        w.write_nullable_int64("creationTime_seconds", Some(self.creation.0));
        w.write_nullable_int32("creationTime_nanos", Some(self.creation.1));
        w.write_nullable_int64("lastAccessedTime_seconds", Some(self.last_accessed.0));
        w.write_nullable_int32("lastAccessedTime_nanos", Some(self.last_accessed.1));
        w.write_nullable_int64("maxInactiveInterval_seconds", Some(self.max_inactive.0));
        w.write_nullable_int32("maxInactiveInterval_nanos", Some(self.max_inactive.1));
        w.write_array_of_string("attributeNames", Some(&self.attribute_names));
        w.write_array_of_compact("attributeValues", Some(&self.attribute_values));
        Ok(())
    }
}

impl CompactDeserialize for BackingMapSession {
    fn read(r: &CompactReader<'_>) -> Result<Self, SerializationError> {
        let req = |v: Option<&str>| {
            v.map(str::to_owned)
                .ok_or(SerializationError::UnexpectedNull)
        };
        Ok(Self {
            original_id: req(r.read_string("originalId")?)?,
            id: req(r.read_string("id")?)?,
            principal_name: r.read_string("principalName")?.map(str::to_owned),
            creation: (
                r.read_int64("creationTime_seconds")?,
                r.read_int32("creationTime_nanos")?,
            ),
            last_accessed: (
                r.read_int64("lastAccessedTime_seconds")?,
                r.read_int32("lastAccessedTime_nanos")?,
            ),
            max_inactive: (
                r.read_int64("maxInactiveInterval_seconds")?,
                r.read_int32("maxInactiveInterval_nanos")?,
            ),
            attribute_names: r
                .read_array_of_string("attributeNames")?
                .unwrap_or_default()
                .into_iter()
                .map(|s| s.unwrap_or_default().to_owned())
                .collect(),
            attribute_values: r
                .read_array_of_compact("attributeValues")?
                .unwrap_or_default()
                .into_iter()
                .flatten()
                .collect(),
        })
    }
}

fn session() -> BackingMapSession {
    let mut names = Vec::new();
    let mut values = Vec::new();
    for i in 0..10 {
        names.push(format!("org.example.cart.attribute{i}"));
        let text = format!("recently-viewed-product-{i:04}-with-a-typical-label");
        let data: Data = text.to_data().expect("string data");
        values.push(AttributeValue {
            object_bytes: data.into_bytes(),
        });
    }
    for i in 0..10 {
        names.push(format!("basket{i}"));
        let items: Vec<String> = (0..6)
            .map(|j| format!(r#"{{"sku":"SKU-{i}-{j}","qty":{j},"price":"19.99"}}"#))
            .collect();
        let json = JsonValue(format!(
            r#"{{"items":[{}],"currency":"EUR"}}"#,
            items.join(",")
        ));
        values.push(AttributeValue {
            object_bytes: json.to_data().expect("json data").into_bytes(),
        });
    }
    BackingMapSession {
        original_id: "8f0c1a52-8c3e-4a8e-9f3b-2b0e5f0c9d11".into(),
        id: "0b6f2c1e-3d4a-4f5b-8e6d-7c8b9a0f1e2d".into(),
        principal_name: Some("alice@example.com".into()),
        creation: (1_700_000_000, 123_000_000),
        last_accessed: (1_700_000_600, 456_000_000),
        max_inactive: (1800, 0),
        attribute_names: names,
        attribute_values: values,
    }
}

fn bench(c: &mut Criterion) {
    let registry = SchemaRegistry::new();
    let s = session();
    let data = registry.to_data(&s).expect("encodes");
    let mut g = c.benchmark_group("compact_session_20_attributes");
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.bench_function("encode", |b| {
        b.iter(|| registry.to_data(black_box(&s)).expect("encodes"))
    });
    g.bench_function("decode", |b| {
        b.iter(|| {
            registry
                .from_data::<BackingMapSession>(black_box(&data))
                .expect("decodes")
        })
    });
    g.bench_function("decode_generic", |b| {
        b.iter(|| registry.to_generic(black_box(&data)).expect("decodes"))
    });
    g.bench_function("encode_decode", |b| {
        b.iter(|| {
            let d = registry.to_data(black_box(&s)).expect("encodes");
            registry
                .from_data::<BackingMapSession>(&d)
                .expect("decodes")
        })
    });
    g.finish();

    let mut g = c.benchmark_group("data_key");
    g.bench_function("string_key_to_data_and_partition", |b| {
        b.iter(|| {
            black_box("0b6f2c1e-3d4a-4f5b-8e6d-7c8b9a0f1e2d")
                .to_data()
                .expect("encodes")
                .partition_id(271)
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
