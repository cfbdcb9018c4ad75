//! Near-valid session strings: canonical strings of every layout, mutated the ways real strings
//! go wrong (spec/session-string.md §9.2). Deterministic for a given seed, so the differential
//! test and the property tests can name the input that failed.

use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine as _;
use pyrosession::string::Format;

/// A small deterministic generator (`SplitMix64`).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next_u64() as u8).collect()
    }
}

/// The raw fields of a packed session, booleans as bytes and the user id unchecked, so that
/// layouts Pyrogram cannot export (boolean 2, user id 2^63) can be made.
#[derive(Debug, Clone)]
pub struct Raw {
    pub format: Format,
    pub dc_id: u8,
    pub api_id: u32,
    pub test_mode: u8,
    pub key: Vec<u8>,
    pub user_id: u64,
    pub is_bot: u8,
}

impl Raw {
    pub fn random(rng: &mut Rng, format: Format) -> Raw {
        let user_id = match rng.below(4) {
            0 => rng.next_u64() % 10_000,
            1 => rng.next_u64() % (1 << 31),
            2 => rng.next_u64() % (1 << 32),
            _ => rng.next_u64() >> 1,
        };
        Raw {
            format,
            dc_id: *rng.pick(&[1, 2, 3, 4, 5, 0, 203, 255]),
            api_id: rng.next_u64() as u32,
            test_mode: (rng.below(2)) as u8,
            key: rng.bytes(256),
            user_id: user_id.min(format.max_user_id()),
            is_bot: (rng.below(2)) as u8,
        }
    }

    pub fn bytes(&self) -> Vec<u8> {
        let mut out = vec![self.dc_id];
        if self.format == Format::V2 {
            out.extend_from_slice(&self.api_id.to_be_bytes());
        }
        out.push(self.test_mode);
        out.extend_from_slice(&self.key);
        match self.format {
            Format::Legacy32 => out.extend_from_slice(&(self.user_id as u32).to_be_bytes()),
            _ => out.extend_from_slice(&self.user_id.to_be_bytes()),
        }
        out.push(self.is_bot);
        out
    }

    /// The string of these bytes: URL-safe base64 without padding.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.bytes())
    }
}

/// The ways a string is mutated.
pub const KINDS: [&str; 17] = [
    "canonical",
    "padding",
    "whitespace",
    "standard_alphabet",
    "truncated",
    "extended",
    "foreign_ascii",
    "non_ascii",
    "bool_byte",
    "user_id_2_63",
    "telethon",
    "gramjs",
    "trailing_bits",
    "combined",
    "padding_then_junk",
    "char_removed",
    "padded_legacy",
];

const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const FOREIGN: &[char] = &[
    '.', '*', '!', '@', '#', '$', '%', '^', '&', '(', ')', '[', ']', '{', '}', '<', '>', ',', ';',
    ':', '\'', '"', '\\', '|', '~', '`', '?', '\0', '\x7f', '\x1b',
];
const WHITESPACE: &[char] = &[' ', '\n', '\t', '\r', '\x0b', '\x0c'];
const NON_ASCII: &[char] = &[
    'é', 'ñ', '\u{a0}', '\u{200b}', '\u{2010}', 'Ａ', '🔑', '\u{feff}', 'Ω', '\u{0301}',
];

fn insert_at(s: &mut String, rng: &mut Rng, c: char) {
    let chars: Vec<char> = s.chars().collect();
    let at = rng.below(chars.len() + 1);
    *s = chars[..at]
        .iter()
        .chain(std::iter::once(&c))
        .chain(&chars[at..])
        .collect();
}

/// One near-valid input of the given kind (an index into [`KINDS`]).
// One arm per mutation kind: read as a table, it is clearer whole than split up.
#[allow(clippy::too_many_lines)]
pub fn generate(rng: &mut Rng, kind: usize) -> String {
    let format = *rng.pick(&Format::ALL);
    let mut raw = Raw::random(rng, format);
    let mut s = raw.encode();
    match KINDS[kind] {
        "canonical" => {}
        "padding" => s.push_str(&"=".repeat(1 + rng.below(4))),
        "whitespace" => {
            for _ in 0..=rng.below(3) {
                let c = *rng.pick(WHITESPACE);
                match rng.below(3) {
                    0 => s.insert(0, c),
                    1 => s.push(c),
                    _ => insert_at(&mut s, rng, c),
                }
            }
        }
        "standard_alphabet" => {
            s = s
                .chars()
                .map(|c| match (c, rng.below(2)) {
                    ('-', 0) => '+',
                    ('_', 0) => '/',
                    _ => c,
                })
                .collect();
            if rng.below(2) == 0 {
                s = STANDARD.encode(raw.bytes());
            }
        }
        "truncated" => {
            let cut = 1 + rng.below(12);
            s.truncate(s.len().saturating_sub(cut));
        }
        "extended" => {
            for _ in 0..=rng.below(6) {
                s.push(char::from(*rng.pick(B64)));
            }
        }
        "foreign_ascii" => {
            for _ in 0..=rng.below(3) {
                let c = *rng.pick(FOREIGN);
                insert_at(&mut s, rng, c);
            }
        }
        "non_ascii" => {
            let c = *rng.pick(NON_ASCII);
            if rng.below(2) == 0 {
                insert_at(&mut s, rng, c);
            } else {
                let mut chars: Vec<char> = s.chars().collect();
                let at = rng.below(chars.len());
                chars[at] = c;
                s = chars.into_iter().collect();
            }
        }
        "bool_byte" => {
            let v = 2 + rng.below(254) as u8;
            match rng.below(3) {
                0 => raw.test_mode = v,
                1 => raw.is_bot = v,
                _ => {
                    raw.test_mode = v;
                    raw.is_bot = 255;
                }
            }
            if raw.format == Format::Legacy32 && rng.below(2) == 0 {
                raw.format = Format::V2;
            }
            s = raw.encode();
        }
        "user_id_2_63" => {
            if raw.format == Format::Legacy32 {
                raw.format = Format::Legacy64;
            }
            let (a, b) = (rng.next_u64(), rng.next_u64());
            raw.user_id = *rng.pick(&[
                (1u64 << 63) - 1,
                1 << 63,
                (1 << 63) + 1 + a % 1000,
                u64::MAX,
                b | (1 << 63),
            ]);
            s = raw.encode();
        }
        "telethon" => {
            let ip = if rng.below(2) == 0 {
                rng.bytes(4)
            } else {
                rng.bytes(16)
            };
            let mut b = vec![raw.dc_id];
            b.extend_from_slice(&ip);
            b.extend_from_slice(&443u16.to_be_bytes());
            b.extend_from_slice(&raw.key);
            s = format!("1{}", URL_SAFE.encode(&b));
            if rng.below(4) == 0 {
                s = s.trim_end_matches('=').to_owned();
            }
        }
        "gramjs" => {
            let addr = rng.pick(&[
                "149.154.167.51",
                "149.154.175.53",
                "91.108.56.130",
                "2001:67c:4e8:f002::a",
                "venus.web.telegram.org",
            ]);
            let mut b = vec![raw.dc_id];
            b.extend_from_slice(&(addr.len() as u16).to_be_bytes());
            b.extend_from_slice(addr.as_bytes());
            b.extend_from_slice(&443u16.to_be_bytes());
            b.extend_from_slice(&raw.key);
            s = format!("1{}", STANDARD.encode(&b));
        }
        "trailing_bits" => {
            // Same high bits, different low bits, in the last character.
            let last = s.pop().expect("non-empty");
            let v = B64
                .iter()
                .position(|&b| char::from(b) == last)
                .expect("base64");
            let mask = match format {
                Format::V2 => 0b11_0000,
                Format::Legacy32 => 0b11_1100,
                Format::Legacy64 => 0b11_1111,
            };
            let w = (v & mask) | (rng.below(64) & !mask);
            s.push(char::from(B64[w]));
        }
        "combined" => {
            for _ in 0..2 {
                let k = *rng.pick(&[1, 2, 3, 4, 6, 12, 15]);
                let next = generate_from(rng, kind_name(k), s.clone());
                s = next;
            }
        }
        "padding_then_junk" => {
            s.push_str(&"=".repeat(1 + rng.below(3)));
            for _ in 0..rng.below(8) {
                s.push(char::from(*rng.pick(B64)));
            }
        }
        "char_removed" => {
            let at = rng.below(s.len());
            s.remove(at);
        }
        "padded_legacy" => {
            raw.format = *rng.pick(&[Format::Legacy32, Format::Legacy64]);
            raw.user_id = raw.user_id.min(raw.format.max_user_id());
            s = URL_SAFE.encode(raw.bytes());
            s.push_str(&"=".repeat(rng.below(3)));
        }
        other => unreachable!("{other}"),
    }
    s
}

fn kind_name(k: usize) -> &'static str {
    KINDS[k]
}

/// Applies a simple mutation to an existing string (for "combined").
fn generate_from(rng: &mut Rng, kind: &str, mut s: String) -> String {
    match kind {
        "padding" => s.push_str(&"=".repeat(1 + rng.below(3))),
        "whitespace" => {
            let c = *rng.pick(WHITESPACE);
            insert_at(&mut s, rng, c);
        }
        "standard_alphabet" => s = s.replace('-', "+").replace('_', "/"),
        "truncated" => s.truncate(s.len().saturating_sub(1 + rng.below(4))),
        "foreign_ascii" => {
            let c = *rng.pick(FOREIGN);
            insert_at(&mut s, rng, c);
        }
        "trailing_bits" => {
            if let Some(c) = s.pop() {
                s.push(if c == 'A' { 'B' } else { 'A' });
            }
        }
        _ => {
            if !s.is_empty() {
                let at = rng.below(s.len());
                if s.is_char_boundary(at) {
                    s.remove(at);
                }
            }
        }
    }
    s
}
