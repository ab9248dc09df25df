//! The line structure of a sairedis recording (`TIMESTAMP|OP|...`), before any value is typed.
//!
//! Line kinds (the OP field): `c` create, `r` remove, `s` set, `g` get and `G` its answer,
//! `C`/`R`/`S`/`B` bulk create/remove/set/get (objects separated by `||`), `a`/`A` notify syncd
//! (INIT_VIEW, APPLY_VIEW, ...) and its answer, `n` a notification from the switch, `q`/`Q` a
//! query and its answer, `#` a comment, `p` counter polling, `@` a sleep (milliseconds).

use std::fmt;

/// Why a line could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub msg: String,
    /// The SAI status the problem corresponds to (e.g. `SAI_STATUS_UNKNOWN_ATTRIBUTE_0 - i`).
    pub status: i32,
}

impl ParseError {
    pub fn new(status: i32, msg: impl Into<String>) -> Self {
        ParseError {
            msg: msg.into(),
            status,
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.msg)
    }
}

/// One `ATTR=VALUE` field, untyped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawAttr<'a> {
    pub name: &'a str,
    pub value: &'a str,
}

/// One object of a call: its key text and attributes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawObject<'a> {
    /// `oid:0x...` or a JSON entry key.
    pub key: &'a str,
    pub attrs: Vec<RawAttr<'a>>,
}

/// A parsed line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Line<'a> {
    /// `c`, `r`, `s`, `g`: one object. `op` is the OP character.
    Single {
        op: char,
        ot: &'a str,
        obj: RawObject<'a>,
    },
    /// `C`, `R`, `S`, `B`: several objects of one type.
    Bulk {
        op: char,
        ot: &'a str,
        objs: Vec<RawObject<'a>>,
    },
    /// `G`: status name and attributes.
    GetResponse {
        status: &'a str,
        attrs: Vec<RawAttr<'a>>,
    },
    /// `a`: INIT_VIEW / APPLY_VIEW / ... (and `A`, its answer, with `answer = true`).
    Notify { what: &'a str, answer: bool },
    /// `n`: a notification from the switch (name).
    Notification { name: &'a str },
    /// `q` / `Q`: a query and its answer (not replayed, as saiplayer).
    Query { answer: bool },
    /// `#`.
    Comment,
    /// `p`: counter polling (not replayed, as saiplayer).
    Poll,
    /// `@`: sleep for that many milliseconds.
    Sleep(u64),
    /// An empty line.
    Empty,
}

fn split_attr(field: &str, index: usize) -> Result<RawAttr<'_>, ParseError> {
    let (name, value) = field.split_once('=').ok_or_else(|| {
        ParseError::new(
            crate::value::INVALID_ATTRIBUTE_0 - i32::try_from(index).unwrap_or(0),
            format!("attribute {index} {field:?} is not NAME=VALUE"),
        )
    })?;
    Ok(RawAttr { name, value })
}

fn attrs_of<'a>(fields: &[&'a str]) -> Result<Vec<RawAttr<'a>>, ParseError> {
    // sairedis records a call without attributes as the one field `NULL=NULL`
    if fields == ["NULL=NULL"] {
        return Ok(Vec::new());
    }
    fields
        .iter()
        .enumerate()
        .map(|(i, f)| split_attr(f, i))
        .collect()
}

/// `SAI_OBJECT_TYPE_X:rest` -> (`SAI_OBJECT_TYPE_X`, `rest`).
pub fn split_key(s: &str) -> Result<(&str, &str), ParseError> {
    let (ot, key) = s.split_once(':').ok_or_else(|| {
        ParseError::new(
            crate::value::INVALID_PARAMETER,
            format!("object key {s:?} is not OBJECT_TYPE:KEY"),
        )
    })?;
    Ok((ot, key))
}

/// Parses one line of a recording.
pub fn parse_line(line: &str) -> Result<Line<'_>, ParseError> {
    let line = line.trim_end_matches(['\r', '\n']);
    if line.trim().is_empty() {
        return Ok(Line::Empty);
    }
    let fields: Vec<&str> = line.split('|').collect();
    let op = fields.get(1).copied().unwrap_or("");
    let bad = |m: &str| ParseError::new(crate::value::INVALID_PARAMETER, m.to_string());
    let mut opc = op.chars();
    let (Some(c), None) = (opc.next(), opc.next()) else {
        return Err(bad(&format!(
            "no operation field (TIMESTAMP|OP|...): {op:?}"
        )));
    };
    let rest = &fields[2..];
    match c {
        'c' | 'r' | 's' | 'g' => {
            let key = rest
                .first()
                .ok_or_else(|| bad(&format!("'{c}' without an object key")))?;
            let (ot, key) = split_key(key)?;
            let attrs = attrs_of(&rest[1..])?;
            Ok(Line::Single {
                op: c,
                ot,
                obj: RawObject { key, attrs },
            })
        }
        'C' | 'R' | 'S' | 'B' => {
            let ot = rest
                .first()
                .copied()
                .filter(|s| !s.is_empty())
                .ok_or_else(|| bad(&format!("'{c}' without an object type")))?;
            // The objects follow, each introduced by an empty field (the `||` separator).
            let mut objs = Vec::new();
            let mut i = 1;
            while i < rest.len() {
                if !rest[i].is_empty() {
                    return Err(bad(&format!(
                        "bulk '{c}': expected '||' before object {}, found {:?}",
                        objs.len(),
                        rest[i]
                    )));
                }
                let key = rest
                    .get(i + 1)
                    .copied()
                    .filter(|s| !s.is_empty())
                    .ok_or_else(|| bad(&format!("bulk '{c}': object {} has no key", objs.len())))?;
                let mut j = i + 2;
                while j < rest.len() && !rest[j].is_empty() {
                    j += 1;
                }
                objs.push(RawObject {
                    key,
                    attrs: attrs_of(&rest[i + 2..j])?,
                });
                i = j;
            }
            if objs.is_empty() {
                return Err(bad(&format!("bulk '{c}' without objects")));
            }
            Ok(Line::Bulk { op: c, ot, objs })
        }
        'G' => {
            let status = rest
                .first()
                .copied()
                .ok_or_else(|| bad("'G' without a status"))?;
            Ok(Line::GetResponse {
                status,
                attrs: attrs_of(&rest[1..])?,
            })
        }
        'a' | 'A' => Ok(Line::Notify {
            what: rest.first().copied().unwrap_or(""),
            answer: c == 'A',
        }),
        'n' => Ok(Line::Notification {
            name: rest.first().copied().unwrap_or(""),
        }),
        'q' | 'Q' => Ok(Line::Query { answer: c == 'Q' }),
        '#' => Ok(Line::Comment),
        'p' => Ok(Line::Poll),
        '@' => {
            let ms = rest.first().copied().unwrap_or("");
            ms.trim()
                .parse()
                .map(Line::Sleep)
                .map_err(|_| bad(&format!("'@' with a bad sleep time {ms:?}")))
        }
        other => Err(bad(&format!("unknown operation '{other}'"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_and_bulk_lines() {
        let l = parse_line(
            "2017|c|SAI_OBJECT_TYPE_SWITCH:oid:0x21000000000000|SAI_SWITCH_ATTR_INIT_SWITCH=true",
        )
        .unwrap();
        let Line::Single { op, ot, obj } = l else {
            panic!("{l:?}")
        };
        assert_eq!(
            (op, ot, obj.key),
            ('c', "SAI_OBJECT_TYPE_SWITCH", "oid:0x21000000000000")
        );
        assert_eq!(obj.attrs[0].name, "SAI_SWITCH_ATTR_INIT_SWITCH");
        assert_eq!(obj.attrs[0].value, "true");

        let l = parse_line(r#"t|C|SAI_OBJECT_TYPE_ROUTE_ENTRY||{"dest":"40.0.0.1/10"}|A=1|B=2||{"dest":"41.0.0.1/10"}|A=3"#).unwrap();
        let Line::Bulk { op, objs, .. } = l else {
            panic!("{l:?}")
        };
        assert_eq!(op, 'C');
        assert_eq!(objs.len(), 2);
        assert_eq!(objs[0].attrs.len(), 2);
        assert_eq!(objs[1].key, r#"{"dest":"41.0.0.1/10"}"#);
        let l = parse_line(r#"t|R|SAI_OBJECT_TYPE_ROUTE_ENTRY||{"a":1}||{"b":2}"#).unwrap();
        let Line::Bulk { objs, .. } = l else { panic!() };
        assert_eq!(objs.len(), 2);
        assert!(objs[1].attrs.is_empty());
    }

    #[test]
    fn other_kinds_and_errors() {
        assert_eq!(
            parse_line("t|a|INIT_VIEW").unwrap(),
            Line::Notify {
                what: "INIT_VIEW",
                answer: false
            }
        );
        assert_eq!(parse_line("t|@|5000").unwrap(), Line::Sleep(5000));
        assert_eq!(parse_line("t|#|hello|x").unwrap(), Line::Comment);
        assert_eq!(parse_line("").unwrap(), Line::Empty);
        assert!(matches!(
            parse_line("t|G|SAI_STATUS_SUCCESS|X=1").unwrap(),
            Line::GetResponse {
                status: "SAI_STATUS_SUCCESS",
                ..
            }
        ));
        assert!(parse_line("t|x|foo").is_err());
        assert!(parse_line("no fields").is_err());
        assert!(parse_line("t|c|NOKEY").is_err());
        assert!(parse_line("t|s|SAI_OBJECT_TYPE_PORT:oid:0x1|NOEQUALS").is_err());
        assert!(parse_line("t|C|SAI_OBJECT_TYPE_ROUTE_ENTRY").is_err());
        assert!(parse_line("t|C|SAI_OBJECT_TYPE_ROUTE_ENTRY|x").is_err());
        assert!(parse_line("t|@|soon").is_err());
        let Line::Single { obj, .. } =
            parse_line("t|c|SAI_OBJECT_TYPE_LAG:oid:0x20000000005b0|NULL=NULL").unwrap()
        else {
            panic!()
        };
        assert!(obj.attrs.is_empty());
    }
}
