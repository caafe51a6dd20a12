//! A small reader for NumPy `.npy` files (format versions 1, 2 and 3).
//!
//! Only what the CLI needs: C-order, little-endian (or single-byte) arrays of
//! `f4`/`f8` floats and `i1`…`i8`/`u1`…`u8` integers. Anything else is rejected
//! with a message that says what was found.

/// The element values of an array, widened to one type per kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Values {
    /// `f4` or `f8` elements.
    Float(Vec<f64>),
    /// Integer elements of any width (unsigned values above `i64::MAX` are rejected).
    Int(Vec<i64>),
}

/// A decoded array: its shape and its elements in C (row-major) order.
#[derive(Debug, Clone, PartialEq)]
pub struct Array {
    /// The dimensions, outermost first (empty for a 0-d scalar).
    pub shape: Vec<usize>,
    /// The elements.
    pub values: Values,
    /// The dtype as written in the file (`<f4`, `|u1`, …), for messages.
    pub dtype: String,
}

const MAGIC: &[u8] = b"\x93NUMPY";

/// Whether `bytes` start with the `.npy` magic string.
pub fn is_npy(bytes: &[u8]) -> bool {
    bytes.starts_with(MAGIC)
}

/// Decodes a whole `.npy` file. Errors are one line, without the file name.
pub fn parse(bytes: &[u8]) -> Result<Array, String> {
    if !is_npy(bytes) {
        return Err("not a .npy file (the magic string \\x93NUMPY is missing)".into());
    }
    let major = *bytes.get(6).ok_or("truncated .npy header")?;
    let (len_size, utf8) = match major {
        1 => (2, false),
        2 => (4, false),
        3 => (4, true),
        v => return Err(format!("unsupported .npy format version {v}")),
    };
    let start = 8 + len_size;
    let len_bytes = bytes.get(8..start).ok_or("truncated .npy header")?;
    let header_len = len_bytes
        .iter()
        .rev()
        .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
    let end = start
        .checked_add(header_len)
        .filter(|&end| end <= bytes.len())
        .ok_or("truncated .npy header")?;
    let header = &bytes[start..end];
    let header = if utf8 {
        std::str::from_utf8(header).map_err(|_| "bad .npy header: not UTF-8".to_string())?
    } else {
        if !header.is_ascii() {
            return Err("bad .npy header: not ASCII".into());
        }
        std::str::from_utf8(header).expect("ASCII is UTF-8")
    };
    let header = Header::parse(header).map_err(|e| format!("bad .npy header: {e}"))?;
    if header.fortran_order {
        return Err(
            "Fortran-order arrays are not supported; save a C-order array \
                    (numpy.ascontiguousarray) instead"
                .into(),
        );
    }
    let kind = Kind::parse(&header.descr)?;
    let count = header
        .shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or("bad .npy header: the shape is too large")?;
    let data = &bytes[end..];
    let needed = count
        .checked_mul(kind.size)
        .ok_or("bad .npy header: the shape is too large")?;
    if data.len() != needed {
        return Err(format!(
            "the file holds {} bytes of data but shape {} of dtype {} needs {needed}",
            data.len(),
            shape_text(&header.shape),
            header.descr
        ));
    }
    Ok(Array {
        values: kind.decode(data)?,
        shape: header.shape,
        dtype: header.descr,
    })
}

/// A shape as Python writes it: `(3,)`, `(3, 4)`, `()`.
pub fn shape_text(shape: &[usize]) -> String {
    match shape {
        [d] => format!("({d},)"),
        _ => {
            let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
            format!("({})", dims.join(", "))
        }
    }
}

/// The element type named by a `descr` string.
struct Kind {
    float: bool,
    signed: bool,
    size: usize,
}

impl Kind {
    fn parse(descr: &str) -> Result<Self, String> {
        let unsupported = || {
            format!(
                "unsupported dtype {descr:?}: expected a little-endian float (<f4, <f8) \
                 or integer (<i1…<i8, <u1…<u8)"
            )
        };
        let mut chars = descr.chars();
        let order = chars.next().ok_or_else(unsupported)?;
        let code = chars.next().ok_or_else(unsupported)?;
        let size: usize = chars.as_str().parse().map_err(|_| unsupported())?;
        let (float, signed) = match (code, size) {
            ('f', 4 | 8) => (true, true),
            ('i', 1 | 2 | 4 | 8) => (false, true),
            ('u', 1 | 2 | 4 | 8) => (false, false),
            _ => return Err(unsupported()),
        };
        let little = match order {
            '<' => true,
            '>' => size == 1,
            '|' => size == 1,
            '=' => cfg!(target_endian = "little") || size == 1,
            _ => return Err(unsupported()),
        };
        if !little {
            return Err(format!(
                "big-endian dtype {descr:?} is not supported; convert it with \
                 array.astype('<{code}{size}')"
            ));
        }
        Ok(Self {
            float,
            signed,
            size,
        })
    }

    fn decode(&self, data: &[u8]) -> Result<Values, String> {
        let chunks = data.chunks_exact(self.size);
        if self.float {
            return Ok(Values::Float(match self.size {
                4 => chunks
                    .map(|c| f64::from(f32::from_le_bytes(c.try_into().expect("4 bytes"))))
                    .collect(),
                _ => chunks
                    .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
                    .collect(),
            }));
        }
        let mut out = Vec::with_capacity(data.len() / self.size);
        for (index, c) in chunks.enumerate() {
            let mut buf = [0u8; 8];
            buf[..self.size].copy_from_slice(c);
            if self.signed && c[self.size - 1] & 0x80 != 0 {
                buf[self.size..].fill(0xff);
            }
            let value = if self.signed {
                i64::from_le_bytes(buf)
            } else {
                let value = u64::from_le_bytes(buf);
                i64::try_from(value)
                    .map_err(|_| format!("element [{index}] = {value} does not fit in i64"))?
            };
            out.push(value);
        }
        Ok(Values::Int(out))
    }
}

/// The three keys of a `.npy` header dictionary.
struct Header {
    descr: String,
    fortran_order: bool,
    shape: Vec<usize>,
}

/// One value of the header dictionary.
enum Value {
    Str(String),
    Bool(bool),
    Tuple(Vec<usize>),
}

impl Header {
    /// Parses a Python dict literal such as
    /// `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`.
    fn parse(text: &str) -> Result<Self, String> {
        let mut p = Parser {
            chars: text.trim_end().chars().collect(),
            pos: 0,
        };
        let (mut descr, mut fortran_order, mut shape) = (None, None, None);
        p.expect('{')?;
        loop {
            p.skip_ws();
            if p.eat('}') {
                break;
            }
            let key = p.string()?;
            p.skip_ws();
            p.expect(':')?;
            let value = p.value()?;
            match (key.as_str(), value) {
                ("descr", Value::Str(s)) => descr = Some(s),
                ("fortran_order", Value::Bool(b)) => fortran_order = Some(b),
                ("shape", Value::Tuple(t)) => shape = Some(t),
                ("descr" | "fortran_order" | "shape", _) => {
                    return Err(format!(
                        "unexpected value for '{key}' (structured dtypes are not supported)"
                    ));
                }
                _ => {}
            }
            p.skip_ws();
            if !p.eat(',') {
                p.skip_ws();
                p.expect('}')?;
                break;
            }
        }
        Ok(Self {
            descr: descr.ok_or("no 'descr' key")?,
            fortran_order: fortran_order.ok_or("no 'fortran_order' key")?,
            shape: shape.ok_or("no 'shape' key")?,
        })
    }
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: char) -> Result<(), String> {
        self.skip_ws();
        if self.eat(c) {
            Ok(())
        } else {
            Err(match self.peek() {
                // Escaped: a control character from the file must not reach the terminal.
                Some(found) => format!("expected '{c}' at offset {}, found {found:?}", self.pos),
                None => format!("expected '{c}' at offset {}, found the end", self.pos),
            })
        }
    }

    fn string(&mut self) -> Result<String, String> {
        self.skip_ws();
        let quote = match self.peek() {
            Some(q @ ('\'' | '"')) => q,
            _ => return Err(format!("expected a quoted string at offset {}", self.pos)),
        };
        self.pos += 1;
        let mut out = String::new();
        loop {
            match self.peek() {
                None => return Err("unterminated string".into()),
                Some(c) if c == quote => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(c) => {
                    out.push(c);
                    self.pos += 1;
                }
            }
        }
    }

    fn word(&mut self) -> String {
        let mut out = String::new();
        while let Some(c) = self
            .peek()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        {
            out.push(c);
            self.pos += 1;
        }
        out
    }

    fn value(&mut self) -> Result<Value, String> {
        self.skip_ws();
        match self.peek() {
            Some('\'' | '"') => self.string().map(Value::Str),
            Some('(') => {
                self.pos += 1;
                let mut dims = Vec::new();
                loop {
                    self.skip_ws();
                    if self.eat(')') {
                        break;
                    }
                    let word = self.word();
                    let digits = word.strip_suffix('L').unwrap_or(&word);
                    let dim = digits
                        .parse()
                        .map_err(|_| format!("bad dimension {word:?} in 'shape'"))?;
                    dims.push(dim);
                    self.skip_ws();
                    if !self.eat(',') {
                        self.expect(')')?;
                        break;
                    }
                }
                Ok(Value::Tuple(dims))
            }
            _ => match self.word().as_str() {
                "True" => Ok(Value::Bool(true)),
                "False" => Ok(Value::Bool(false)),
                "" => Err(format!("unexpected character at offset {}", self.pos)),
                other => Err(format!("unexpected value {other:?}")),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn npy(descr: &str, fortran: bool, shape: &str, data: &[u8]) -> Vec<u8> {
        let fortran = if fortran { "True" } else { "False" };
        let mut header =
            format!("{{'descr': '{descr}', 'fortran_order': {fortran}, 'shape': {shape}, }}");
        while (10 + header.len() + 1) % 64 != 0 {
            header.push(' ');
        }
        header.push('\n');
        let mut out = MAGIC.to_vec();
        out.extend([1, 0]);
        out.extend((header.len() as u16).to_le_bytes());
        out.extend(header.as_bytes());
        out.extend(data);
        out
    }

    #[test]
    fn reads_floats_and_ints() {
        let data: Vec<u8> = [1.5f32, -2.0]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let a = parse(&npy("<f4", false, "(2,)", &data)).unwrap();
        assert_eq!(a.shape, vec![2]);
        assert_eq!(a.values, Values::Float(vec![1.5, -2.0]));

        let data: Vec<u8> = [-3i16, 7].iter().flat_map(|v| v.to_le_bytes()).collect();
        let a = parse(&npy("<i2", false, "(1, 2)", &data)).unwrap();
        assert_eq!(a.shape, vec![1, 2]);
        assert_eq!(a.values, Values::Int(vec![-3, 7]));

        let a = parse(&npy("|u1", false, "(2,)", &[255, 0])).unwrap();
        assert_eq!(a.values, Values::Int(vec![255, 0]));
    }

    #[test]
    fn rejects_what_it_cannot_read() {
        let err = parse(&npy("<f4", true, "(1,)", &[0; 4])).unwrap_err();
        assert!(err.contains("Fortran"), "{err}");
        let err = parse(&npy(">f8", false, "(1,)", &[0; 8])).unwrap_err();
        assert!(err.contains("big-endian"), "{err}");
        let err = parse(&npy("<c8", false, "(1,)", &[0; 8])).unwrap_err();
        assert!(err.contains("unsupported dtype"), "{err}");
        let err = parse(&npy("<f4", false, "(3,)", &[0; 8])).unwrap_err();
        assert!(err.contains("needs 12"), "{err}");
        let err = parse(&npy("<u8", false, "(1,)", &u64::MAX.to_le_bytes())).unwrap_err();
        assert!(err.contains("does not fit"), "{err}");
        assert!(parse(b"hello").unwrap_err().contains("magic"));
    }
}
