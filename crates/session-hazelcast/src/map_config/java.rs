//! Reading Java's `MapConfig.toString()`, the only form in which a member reports the
//! configuration it already has (inside the InvalidConfiguration message).

use super::{
    InMemoryFormat, IndexConfig, IndexType, MapConfig, MapConfigError, MergePolicy,
    WanReplicationRef,
};

/// Longest text parsed, and deepest nesting followed (members print a few levels).
const MAX_TEXT: usize = 64 * 1024;
const MAX_DEPTH: usize = 16;

/// A value in Java's `toString` output.
#[derive(Debug, Clone, PartialEq)]
enum Node {
    /// A bare or quoted token (`1`, `null`, `'BINARY'` without quotes).
    Atom(String),
    /// `Name{key=value, ...}`.
    Object(Vec<(String, Node)>),
    /// `[a, b]`.
    List(Vec<Node>),
}

impl Node {
    fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Object(fields) => fields.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    fn atom(&self) -> Option<&str> {
        match self {
            Node::Atom(s) => Some(s),
            _ => None,
        }
    }
}

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn skip_spaces(&mut self) {
        while self.peek() == Some(b' ') {
            self.pos += 1;
        }
    }

    fn expect(&mut self, b: u8) -> Option<()> {
        (self.peek() == Some(b)).then(|| self.pos += 1)
    }

    fn text(&self, from: usize, to: usize) -> Option<String> {
        std::str::from_utf8(self.s.get(from..to)?)
            .ok()
            .map(str::to_owned)
    }

    fn value(&mut self, depth: usize) -> Option<Node> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.skip_spaces();
        match self.peek()? {
            b'\'' => {
                self.pos += 1;
                let start = self.pos;
                // A quoted value ends at a quote followed by a separator or the end.
                loop {
                    let b = self.peek()?;
                    if b == b'\''
                        && matches!(self.s.get(self.pos + 1), None | Some(b',' | b'}' | b']'))
                    {
                        let t = self.text(start, self.pos)?;
                        self.pos += 1;
                        return Some(Node::Atom(t));
                    }
                    self.pos += 1;
                }
            }
            b'[' => {
                self.pos += 1;
                let mut items = Vec::new();
                self.skip_spaces();
                if self.expect(b']').is_some() {
                    return Some(Node::List(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    self.skip_spaces();
                    match self.peek()? {
                        b',' => self.pos += 1,
                        b']' => {
                            self.pos += 1;
                            return Some(Node::List(items));
                        }
                        _ => return None,
                    }
                }
            }
            _ => {
                let start = self.pos;
                while let Some(b) = self.peek() {
                    if matches!(b, b',' | b'}' | b']' | b'{') {
                        break;
                    }
                    self.pos += 1;
                }
                if self.peek() == Some(b'{') {
                    self.pos += 1;
                    return self.object_body(depth + 1);
                }
                Some(Node::Atom(self.text(start, self.pos)?.trim().to_owned()))
            }
        }
    }

    /// After `Name{`: `key=value, ...}`.
    fn object_body(&mut self, depth: usize) -> Option<Node> {
        let mut fields = Vec::new();
        self.skip_spaces();
        if self.expect(b'}').is_some() {
            return Some(Node::Object(fields));
        }
        loop {
            self.skip_spaces();
            let start = self.pos;
            while self.peek()? != b'=' {
                self.pos += 1;
            }
            let key = self.text(start, self.pos)?;
            self.pos += 1;
            let value = self.value(depth)?;
            fields.push((key, value));
            self.skip_spaces();
            match self.peek()? {
                b',' => self.pos += 1,
                b'}' => {
                    self.pos += 1;
                    return Some(Node::Object(fields));
                }
                _ => return None,
            }
        }
    }
}

fn parse_node(text: &str) -> Option<Node> {
    let start = text.find("MapConfig{")?;
    let s = text.get(start..)?.as_bytes();
    let s = &s[..s.len().min(MAX_TEXT)];
    let mut p = Parser { s, pos: 0 };
    p.value(0)
}

/// The configuration the cluster already has, from a conflict message (its second
/// `MapConfig{...}`).
pub(super) fn existing_config_in_message(message: &str) -> Option<MapConfig> {
    let marker = "conflicting configuration '";
    let at = message.find(marker)? + marker.len();
    parse_map_config(message.get(at..)?).ok()
}

/// The client configuration a `MapConfig{...}` text describes (the fields it covers).
pub(super) fn parse_map_config(text: &str) -> Result<MapConfig, MapConfigError> {
    let bad = |what: &str| MapConfigError::Invalid(format!("not a Java MapConfig: {what}"));
    let node = parse_node(text).ok_or_else(|| bad("unparsable text"))?;
    let atom = |key: &str| node.get(key).and_then(Node::atom);
    let int = |key: &str| -> Result<i32, MapConfigError> {
        atom(key)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| bad(key))
    };
    let boolean = |key: &str| -> Result<bool, MapConfigError> {
        atom(key)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| bad(key))
    };
    let name = atom("name").unwrap_or_default();
    let merge = node
        .get("mergePolicyConfig")
        .ok_or_else(|| bad("mergePolicyConfig"))?;
    let wan = match node.get("wanReplicationRef") {
        Some(w @ Node::Object(_)) => {
            let name = w
                .get("name")
                .and_then(Node::atom)
                .ok_or_else(|| bad("wan name"))?;
            let filters = w
                .get("filters")
                .and_then(Node::atom)
                .map(|f| {
                    f.trim_start_matches('[')
                        .trim_end_matches(']')
                        .split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            let mut wan = WanReplicationRef::new(name)
                .with_merge_policy(MergePolicy::from_name(
                    w.get("mergePolicy")
                        .and_then(Node::atom)
                        .unwrap_or_default(),
                ))
                .with_republishing(
                    w.get("republishingEnabled").and_then(Node::atom) != Some("false"),
                );
            wan.filters = filters;
            Some(wan)
        }
        _ => None,
    };
    let mut indexes = Vec::new();
    if let Some(Node::List(items)) = node.get("indexConfigs") {
        for item in items {
            let index_type = item
                .get("type")
                .and_then(Node::atom)
                .and_then(IndexType::from_name)
                .ok_or_else(|| bad("index type"))?;
            let attributes = match item.get("attributes") {
                Some(Node::List(a)) => a.iter().filter_map(Node::atom).map(str::to_owned).collect(),
                _ => Vec::new(),
            };
            let name = item
                .get("name")
                .and_then(Node::atom)
                .filter(|n| *n != "null")
                .map(str::to_owned);
            let mut index = IndexConfig::new(index_type, attributes);
            index.name = name;
            indexes.push(index);
        }
    }
    let mut config = MapConfig::new(name);
    config.backup_count = int("backupCount")?;
    config.async_backup_count = int("asyncBackupCount")?;
    config.read_backup_data = boolean("readBackupData")?;
    config.merge_policy = MergePolicy::from_name(
        merge
            .get("policy")
            .and_then(Node::atom)
            .ok_or_else(|| bad("policy"))?,
    );
    config.merge_batch_size = merge
        .get("batchSize")
        .and_then(Node::atom)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("batchSize"))?;
    config.wan_replication_ref = wan;
    config.indexes = indexes;
    config.max_idle_seconds = int("maxIdleSeconds")?;
    config.time_to_live_seconds = int("timeToLiveSeconds")?;
    config.in_memory_format = atom("inMemoryFormat")
        .and_then(InMemoryFormat::from_name)
        .ok_or_else(|| bad("inMemoryFormat"))?;
    config.statistics_enabled = boolean("statisticsEnabled")?;
    config.per_entry_stats_enabled = boolean("entryStatsEnabled")?;
    Ok(config)
}
