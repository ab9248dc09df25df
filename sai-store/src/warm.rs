//! Warm-boot state file: a versioned line-oriented text format holding every object with its id,
//! creation order, reference count, origin and stored attributes, so that all ids are identical
//! after a restart.
//!
//! ```text
//! ferrosai-store 1
//! counters <next_counter> <next_seq>
//! switch <index>
//! O <oid hex> <seq> <refcount> <origin> <attr>...      origin: U | P | D | o<owner hex>
//! E <seq> <refcount> <ot> <n members> <member>... <attr>...
//! ```
//! An attribute is `<id>/<counted 0|1>/<value>`; values are single tokens (see [`enc`]).

use crate::profile::Config;
use crate::store::{Obj, Origin, Store, StoredAttr};
use crate::value::{AclData, AttrValue, EntryKey, IpPrefix};
use std::fmt::Write as _;
use std::net::IpAddr;

const MAGIC: &str = "ferrosai-store 1";

fn hex(b: &[u8]) -> String {
    b.iter()
        .fold(String::with_capacity(b.len() * 2), |mut s, x| {
            let _ = write!(s, "{x:02x}");
            s
        })
}

fn unhex(s: &str) -> Result<Vec<u8>, String> {
    if s.len() & 1 == 1 {
        return Err(format!("odd hex {s:?}"));
    }
    (0..s.len())
        .step_by(2)
        .map(|i| {
            u8::from_str_radix(s.get(i..i + 2).unwrap_or(""), 16)
                .map_err(|e| format!("hex {s:?}: {e}"))
        })
        .collect()
}

fn arr<const N: usize>(s: &str) -> Result<[u8; N], String> {
    unhex(s)?
        .try_into()
        .map_err(|_| format!("expected {N} bytes: {s:?}"))
}

fn join<T: ToString>(v: &[T], sep: &str) -> String {
    v.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(sep)
}

fn split_nums<T: std::str::FromStr>(s: &str, sep: char) -> Result<Vec<T>, String> {
    if s.is_empty() {
        return Ok(Vec::new());
    }
    s.split(sep)
        .map(|x| x.parse::<T>().map_err(|_| format!("bad number {x:?}")))
        .collect()
}

fn enc_acl(d: &AclData) -> String {
    match d {
        AclData::None => "n".into(),
        AclData::Bool(b) => format!("b={}", u8::from(*b)),
        AclData::U8(x) => format!("u8={x}"),
        AclData::I8(x) => format!("i8={x}"),
        AclData::U16(x) => format!("u16={x}"),
        AclData::I16(x) => format!("i16={x}"),
        AclData::U32(x) => format!("u32={x}"),
        AclData::I32(x) => format!("i32={x}"),
        AclData::U64(x) => format!("u64={x}"),
        AclData::Mac(m) => format!("mac={}", hex(m)),
        AclData::Ipv4(a) => format!("v4={}", hex(a)),
        AclData::Ipv6(a) => format!("v6={}", hex(a)),
        AclData::IpAddr(a) => format!("ip={a}"),
        AclData::Oid(o) => format!("oid={o:x}"),
        AclData::OidList(l) => format!(
            "ol={}",
            l.iter()
                .map(|o| format!("{o:x}"))
                .collect::<Vec<_>>()
                .join("+")
        ),
        AclData::U8List(l) => format!("u8l={}", join(l, "+")),
    }
}

fn dec_acl(s: &str) -> Result<AclData, String> {
    if s == "n" {
        return Ok(AclData::None);
    }
    let (t, v) = s
        .split_once('=')
        .ok_or_else(|| format!("bad acl data {s:?}"))?;
    let n = |_: ()| format!("bad acl value {s:?}");
    Ok(match t {
        "b" => AclData::Bool(v == "1"),
        "u8" => AclData::U8(v.parse().map_err(|_| n(()))?),
        "i8" => AclData::I8(v.parse().map_err(|_| n(()))?),
        "u16" => AclData::U16(v.parse().map_err(|_| n(()))?),
        "i16" => AclData::I16(v.parse().map_err(|_| n(()))?),
        "u32" => AclData::U32(v.parse().map_err(|_| n(()))?),
        "i32" => AclData::I32(v.parse().map_err(|_| n(()))?),
        "u64" => AclData::U64(v.parse().map_err(|_| n(()))?),
        "mac" => AclData::Mac(arr(v)?),
        "v4" => AclData::Ipv4(arr(v)?),
        "v6" => AclData::Ipv6(arr(v)?),
        "ip" => AclData::IpAddr(v.parse().map_err(|_| n(()))?),
        "oid" => AclData::Oid(u64::from_str_radix(v, 16).map_err(|_| n(()))?),
        "ol" => AclData::OidList(if v.is_empty() {
            Vec::new()
        } else {
            v.split('+')
                .map(|x| u64::from_str_radix(x, 16).map_err(|_| n(())))
                .collect::<Result<_, _>>()?
        }),
        "u8l" => AclData::U8List(split_nums(v, '+')?),
        _ => return Err(format!("bad acl data tag {s:?}")),
    })
}

/// One value as a single token.
pub(crate) fn enc(v: &AttrValue) -> String {
    match v {
        AttrValue::Bool(b) => format!("b:{}", u8::from(*b)),
        AttrValue::Chardata(c) => format!("c:{}", hex(c)),
        AttrValue::U8(x) => format!("u8:{x}"),
        AttrValue::I8(x) => format!("i8:{x}"),
        AttrValue::U16(x) => format!("u16:{x}"),
        AttrValue::I16(x) => format!("i16:{x}"),
        AttrValue::U32(x) => format!("u32:{x}"),
        AttrValue::I32(x) => format!("i32:{x}"),
        AttrValue::U64(x) => format!("u64:{x}"),
        AttrValue::I64(x) => format!("i64:{x}"),
        AttrValue::Pointer(p) => format!("p:{p}"),
        AttrValue::Mac(m) => format!("mac:{}", hex(m)),
        AttrValue::Ipv4(a) => format!("v4:{}", hex(a)),
        AttrValue::Ipv6(a) => format!("v6:{}", hex(a)),
        AttrValue::IpAddr(a) => format!("ip:{a}"),
        AttrValue::IpPrefix(p) => format!("pfx:{}/{}", p.addr, p.mask),
        AttrValue::Oid(o) => format!("oid:{o:x}"),
        AttrValue::OidList(l) => format!(
            "ol:{}",
            l.iter()
                .map(|o| format!("{o:x}"))
                .collect::<Vec<_>>()
                .join(",")
        ),
        AttrValue::U8List(l) => format!("u8l:{}", join(l, ",")),
        AttrValue::I8List(l) => format!("i8l:{}", join(l, ",")),
        AttrValue::U16List(l) => format!("u16l:{}", join(l, ",")),
        AttrValue::I16List(l) => format!("i16l:{}", join(l, ",")),
        AttrValue::U32List(l) => format!("u32l:{}", join(l, ",")),
        AttrValue::I32List(l) => format!("i32l:{}", join(l, ",")),
        AttrValue::U32Range(a, b) => format!("u32r:{a},{b}"),
        AttrValue::I32Range(a, b) => format!("i32r:{a},{b}"),
        AttrValue::U16RangeList(l) => format!(
            "u16rl:{}",
            l.iter()
                .map(|(a, b)| format!("{a}-{b}"))
                .collect::<Vec<_>>()
                .join(",")
        ),
        AttrValue::VlanList(l) => format!("vl:{}", join(l, ",")),
        AttrValue::AclField { enable, data, mask } => format!(
            "af:{};{};{}",
            u8::from(*enable),
            enc_acl(data),
            enc_acl(mask)
        ),
        AttrValue::AclAction { enable, param } => {
            format!("aa:{};{}", u8::from(*enable), enc_acl(param))
        }
        AttrValue::Other {
            value_type,
            flat,
            list,
            count,
        } => {
            format!(
                "x:{value_type};{count};{};{}",
                hex(flat),
                list.as_ref().map(|l| hex(l)).unwrap_or_else(|| "-".into())
            )
        }
    }
}

/// Inverse of [`enc`].
pub(crate) fn dec(s: &str) -> Result<AttrValue, String> {
    let (t, v) = s
        .split_once(':')
        .ok_or_else(|| format!("bad value {s:?}"))?;
    let bad = || format!("bad value {s:?}");
    let num = |x: &str| x.parse::<i128>().map_err(|_| bad());
    Ok(match t {
        "b" => AttrValue::Bool(v == "1"),
        "c" => AttrValue::Chardata(arr(v)?),
        "u8" => AttrValue::U8(u8::try_from(num(v)?).map_err(|_| bad())?),
        "i8" => AttrValue::I8(i8::try_from(num(v)?).map_err(|_| bad())?),
        "u16" => AttrValue::U16(u16::try_from(num(v)?).map_err(|_| bad())?),
        "i16" => AttrValue::I16(i16::try_from(num(v)?).map_err(|_| bad())?),
        "u32" => AttrValue::U32(u32::try_from(num(v)?).map_err(|_| bad())?),
        "i32" => AttrValue::I32(i32::try_from(num(v)?).map_err(|_| bad())?),
        "u64" => AttrValue::U64(u64::try_from(num(v)?).map_err(|_| bad())?),
        "i64" => AttrValue::I64(i64::try_from(num(v)?).map_err(|_| bad())?),
        "p" => AttrValue::Pointer(usize::try_from(num(v)?).map_err(|_| bad())?),
        "mac" => AttrValue::Mac(arr(v)?),
        "v4" => AttrValue::Ipv4(arr(v)?),
        "v6" => AttrValue::Ipv6(arr(v)?),
        "ip" => AttrValue::IpAddr(v.parse().map_err(|_| bad())?),
        "pfx" => {
            let (a, m) = v.split_once('/').ok_or_else(bad)?;
            AttrValue::IpPrefix(IpPrefix {
                addr: a.parse::<IpAddr>().map_err(|_| bad())?,
                mask: m.parse::<IpAddr>().map_err(|_| bad())?,
            })
        }
        "oid" => AttrValue::Oid(u64::from_str_radix(v, 16).map_err(|_| bad())?),
        "ol" => AttrValue::OidList(if v.is_empty() {
            Vec::new()
        } else {
            v.split(',')
                .map(|x| u64::from_str_radix(x, 16).map_err(|_| bad()))
                .collect::<Result<_, _>>()?
        }),
        "u8l" => AttrValue::U8List(split_nums(v, ',')?),
        "i8l" => AttrValue::I8List(split_nums(v, ',')?),
        "u16l" => AttrValue::U16List(split_nums(v, ',')?),
        "i16l" => AttrValue::I16List(split_nums(v, ',')?),
        "u32l" => AttrValue::U32List(split_nums(v, ',')?),
        "i32l" => AttrValue::I32List(split_nums(v, ',')?),
        "u32r" | "i32r" => {
            let (a, b) = v.split_once(',').ok_or_else(bad)?;
            if t == "u32r" {
                AttrValue::U32Range(a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?)
            } else {
                AttrValue::I32Range(a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?)
            }
        }
        "u16rl" => AttrValue::U16RangeList(if v.is_empty() {
            Vec::new()
        } else {
            v.split(',')
                .map(|r| {
                    let (a, b) = r.split_once('-').ok_or_else(bad)?;
                    Ok((a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?))
                })
                .collect::<Result<_, String>>()?
        }),
        "vl" => AttrValue::VlanList(split_nums(v, ',')?),
        "af" => {
            let mut it = v.split(';');
            let (e, d, m) = (
                it.next().ok_or_else(bad)?,
                it.next().ok_or_else(bad)?,
                it.next().ok_or_else(bad)?,
            );
            AttrValue::AclField {
                enable: e == "1",
                data: dec_acl(d)?,
                mask: dec_acl(m)?,
            }
        }
        "aa" => {
            let (e, p) = v.split_once(';').ok_or_else(bad)?;
            AttrValue::AclAction {
                enable: e == "1",
                param: dec_acl(p)?,
            }
        }
        "x" => {
            let mut it = v.split(';');
            let vt = it.next().ok_or_else(bad)?.parse().map_err(|_| bad())?;
            let count = it.next().ok_or_else(bad)?.parse().map_err(|_| bad())?;
            let flat = unhex(it.next().ok_or_else(bad)?)?;
            let list = match it.next().ok_or_else(bad)? {
                "-" => None,
                l => Some(unhex(l)?),
            };
            AttrValue::Other {
                value_type: vt,
                flat,
                list,
                count,
            }
        }
        _ => return Err(bad()),
    })
}

fn enc_attrs(out: &mut String, obj: &Obj) {
    for a in &obj.attrs {
        let _ = write!(out, " {}/{}/{}", a.id, u8::from(a.counted), enc(&a.value));
    }
}

/// Serialize the whole store.
pub(crate) fn encode(s: &Store) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{MAGIC}");
    let _ = writeln!(out, "counters {} {}", s.next_counter, s.next_seq);
    for sw in &s.switches {
        let _ = writeln!(out, "switch {sw}");
    }
    for (o, obj) in &s.objs {
        let origin = match obj.origin {
            Origin::User => "U".to_string(),
            Origin::Pinned => "P".to_string(),
            Origin::Default => "D".to_string(),
            Origin::Owned(p) => format!("o{p:x}"),
        };
        let _ = write!(out, "O {o:x} {} {} {origin}", obj.seq, obj.refcount);
        enc_attrs(&mut out, obj);
        out.push('\n');
    }
    let routes = s.routes.iter().map(|(k, sl)| {
        (
            std::borrow::Cow::Owned(crate::store::EKey::from(k.route_key())),
            std::borrow::Cow::Owned(s.route_obj(&k, sl)),
        )
    });
    let entries = s
        .entries
        .iter()
        .map(|(k, o)| (std::borrow::Cow::Borrowed(k), std::borrow::Cow::Borrowed(o)));
    for (ek, obj) in entries.chain(routes) {
        let obj: &Obj = &obj;
        let k = ek.to_entry();
        let _ = write!(
            out,
            "E {} {} {} {}",
            obj.seq,
            obj.refcount,
            k.ot,
            k.members.len()
        );
        for m in &k.members {
            let _ = write!(out, " {}", enc(m));
        }
        enc_attrs(&mut out, obj);
        out.push('\n');
    }
    out
}

fn dec_attr(tok: &str) -> Result<StoredAttr, String> {
    let mut it = tok.splitn(3, '/');
    let id = it
        .next()
        .and_then(|x| x.parse().ok())
        .ok_or_else(|| format!("bad attribute {tok:?}"))?;
    let counted = it.next() == Some("1");
    let value = dec(it.next().ok_or_else(|| format!("bad attribute {tok:?}"))?)?;
    Ok(StoredAttr { id, value, counted })
}

/// Parse a state file into a store (with the current configuration).
pub(crate) fn decode(text: &str, cfg: Config) -> Result<Store, String> {
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, l)) if l == MAGIC => {}
        _ => return Err(format!("not a state file (expected {MAGIC:?})")),
    }
    let mut s = Store::new(cfg);
    for (n, line) in lines {
        let ctx = |e: String| format!("line {}: {e}", n + 1);
        let mut t = line.split_ascii_whitespace();
        let p = |x: Option<&str>| -> Result<u64, String> {
            x.and_then(|v| v.parse().ok())
                .ok_or_else(|| "bad number".to_string())
        };
        match t.next() {
            Some("counters") => {
                s.next_counter = p(t.next()).map_err(ctx)?;
                s.next_seq = p(t.next()).map_err(ctx)?;
            }
            Some("switch") => {
                let i = t
                    .next()
                    .and_then(|v| v.parse::<u8>().ok())
                    .ok_or_else(|| ctx("bad switch index".into()))?;
                s.switches.insert(i);
            }
            Some("O") => {
                let o = t
                    .next()
                    .and_then(|v| u64::from_str_radix(v, 16).ok())
                    .ok_or_else(|| ctx("bad oid".into()))?;
                let seq = p(t.next()).map_err(ctx)?;
                let refcount = u32::try_from(p(t.next()).map_err(ctx)?)
                    .map_err(|_| ctx("bad refcount".into()))?;
                let origin = match t.next() {
                    Some("U") => Origin::User,
                    Some("P") => Origin::Pinned,
                    Some("D") => Origin::Default,
                    Some(x) if x.starts_with('o') => Origin::Owned(
                        u64::from_str_radix(&x[1..], 16).map_err(|_| ctx("bad owner".into()))?,
                    ),
                    _ => return Err(ctx("bad origin".into())),
                };
                let attrs = t
                    .map(dec_attr)
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(ctx)?;
                let ot = crate::oid::raw_type(o);
                *s.type_counts.entry(ot).or_insert(0) += 1;
                s.obj_epoch += 1;
                s.objs.insert(
                    o,
                    Obj {
                        attrs,
                        refcount,
                        origin,
                        seq,
                    },
                );
            }
            Some("E") => {
                let seq = p(t.next()).map_err(ctx)?;
                let refcount = u32::try_from(p(t.next()).map_err(ctx)?)
                    .map_err(|_| ctx("bad refcount".into()))?;
                let ot =
                    u32::try_from(p(t.next()).map_err(ctx)?).map_err(|_| ctx("bad type".into()))?;
                let nm = usize::try_from(p(t.next()).map_err(ctx)?)
                    .map_err(|_| ctx("bad count".into()))?;
                let mut members = Vec::with_capacity(nm.min(16));
                for _ in 0..nm {
                    members.push(
                        dec(t.next().ok_or_else(|| ctx("missing key member".into()))?)
                            .map_err(ctx)?,
                    );
                }
                let attrs = t
                    .map(dec_attr)
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(ctx)?;
                let key = EntryKey { ot, members };
                *s.entry_counts
                    .entry((ot, crate::store::entry_family(&key)))
                    .or_insert(0) += 1;
                if let Some((sw, vr, prefix)) = crate::store::EKey::route_parts(&key) {
                    let rk = crate::routes::RKey::of(sw, vr, &prefix)
                        .ok_or_else(|| ctx("route prefix without a contiguous mask".into()))?;
                    s.routes.insert_raw(rk, seq, attrs);
                    continue;
                }
                s.entries.insert(
                    crate::store::EKey::from_owned(key),
                    Obj {
                        attrs,
                        refcount,
                        origin: Origin::User,
                        seq,
                    },
                );
            }
            None => {}
            Some(x) => return Err(ctx(format!("unknown record {x:?}"))),
        }
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_roundtrip() {
        let vals = vec![
            AttrValue::Bool(true),
            AttrValue::chardata("Ethernet0"),
            AttrValue::I8(-3),
            AttrValue::U64(u64::MAX),
            AttrValue::I64(i64::MIN),
            AttrValue::Pointer(0x0041_7890),
            AttrValue::Mac([1, 2, 3, 4, 5, 6]),
            AttrValue::IpAddr("fe80::1".parse().unwrap()),
            AttrValue::IpPrefix(IpPrefix {
                addr: "2001:db8::".parse().unwrap(),
                mask: "ffff:ffff::".parse().unwrap(),
            }),
            AttrValue::OidList(vec![]),
            AttrValue::OidList(vec![0x1000_0000_0001, 2]),
            AttrValue::I32List(vec![-1, 2]),
            AttrValue::U16RangeList(vec![(1, 2), (3, 4)]),
            AttrValue::I32Range(-5, 5),
            AttrValue::VlanList(vec![]),
            AttrValue::AclField {
                enable: true,
                data: AclData::Ipv6([7; 16]),
                mask: AclData::Ipv6([0xff; 16]),
            },
            AttrValue::AclField {
                enable: true,
                data: AclData::OidList(vec![5, 6]),
                mask: AclData::None,
            },
            AttrValue::AclAction {
                enable: false,
                param: AclData::IpAddr("10.0.0.1".parse().unwrap()),
            },
            AttrValue::Other {
                value_type: 60,
                flat: vec![1, 2],
                list: Some(vec![3, 4, 5]),
                count: 1,
            },
            AttrValue::Other {
                value_type: 65,
                flat: vec![],
                list: None,
                count: 0,
            },
        ];
        for v in vals {
            assert_eq!(dec(&enc(&v)).unwrap(), v, "{}", enc(&v));
            assert!(!enc(&v).contains(' '));
        }
        assert!(dec("zz:1").is_err());
        assert!(dec("u8:300").is_err());
        assert!(decode(
            "garbage",
            crate::Config::from_profile(&crate::Profile::new()).unwrap()
        )
        .is_err());
    }
}
