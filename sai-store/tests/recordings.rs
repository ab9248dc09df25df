//! The store accepts every call of the sairedis recordings (../shared/sairedis-recordings): a
//! minimal replay of c/r/s/C/R/S/g lines directly against the store, mapping the recorded ids to
//! ours (created ones by result, default ones through the `G` answers). Skips loudly where the
//! folder is absent. The full C-ABI replayer lives elsewhere; this checks the store's model and
//! validation against real orchagent traffic.
use sai_store::value::vt;
use sai_store::{md, status, AclData, Attr, AttrValue, BulkMode, EntryKey, IpPrefix, Profile, Sai};
use std::collections::HashMap;
use std::net::IpAddr;

const DIR: &str = "/work/shared/sairedis-recordings";

struct Replay {
    sai: Sai,
    map: HashMap<u64, u64>,
    failures: Vec<String>,
    calls: usize,
}

fn parse_oid(s: &str) -> Option<u64> {
    u64::from_str_radix(s.strip_prefix("oid:0x")?, 16).ok()
}

fn mask_of(addr: IpAddr, len: u32) -> IpAddr {
    match addr {
        IpAddr::V4(_) => IpAddr::V4(u32::MAX.checked_shl(32 - len.min(32)).unwrap_or(0).into()),
        IpAddr::V6(_) => IpAddr::V6(
            u128::MAX
                .checked_shl(128 - len.min(128))
                .unwrap_or(0)
                .into(),
        ),
    }
}

fn num<T: TryFrom<i128>>(s: &str) -> Option<T> {
    let v = if let Some(h) = s.strip_prefix("0x") {
        i128::from_str_radix(h, 16).ok()?
    } else {
        s.parse::<i128>().ok()?
    };
    T::try_from(v).ok()
}

fn mac(s: &str) -> Option<[u8; 6]> {
    let v: Vec<u8> = s
        .split(':')
        .map(|x| u8::from_str_radix(x, 16).ok())
        .collect::<Option<_>>()?;
    v.try_into().ok()
}

fn list_items(s: &str) -> Option<Vec<&str>> {
    let (n, rest) = s.split_once(':')?;
    let n: usize = n.parse().ok()?;
    if n == 0 || rest == "null" {
        return Some(Vec::new());
    }
    let v: Vec<&str> = rest.split(',').collect();
    (v.len() == n).then_some(v)
}

impl Replay {
    fn map_oid(&self, s: &str) -> Option<u64> {
        let o = parse_oid(s)?;
        if o == 0 {
            return Some(0);
        }
        self.map.get(&o).copied()
    }

    fn value(&self, m: &sai_headers::meta::AttrMeta, s: &str) -> Option<AttrValue> {
        let t = m.value_type as u32;
        let en = |x: &str| m.enum_info.and_then(|e| e.value_of(x)).or_else(|| num(x));
        Some(match t {
            vt::BOOL => AttrValue::Bool(s == "true"),
            vt::CHARDATA => AttrValue::chardata(s),
            vt::UINT8 => AttrValue::U8(num(s)?),
            vt::INT8 => AttrValue::I8(num(s)?),
            vt::UINT16 => AttrValue::U16(num(s)?),
            vt::INT16 => AttrValue::I16(num(s)?),
            vt::UINT32 => AttrValue::U32(num(s)?),
            vt::INT32 => AttrValue::I32(en(s)?),
            vt::UINT64 => AttrValue::U64(num(s)?),
            vt::INT64 => AttrValue::I64(num(s)?),
            vt::POINTER => AttrValue::Pointer(if s == "NULL" { 0 } else { num(s)? }),
            vt::MAC => AttrValue::Mac(mac(s)?),
            vt::IPV4 => AttrValue::Ipv4(s.parse::<std::net::Ipv4Addr>().ok()?.octets()),
            vt::IPV6 => AttrValue::Ipv6(s.parse::<std::net::Ipv6Addr>().ok()?.octets()),
            vt::IP_ADDRESS => AttrValue::IpAddr(s.parse().ok()?),
            vt::IP_PREFIX => {
                let (a, l) = s.split_once('/')?;
                let addr: IpAddr = a.parse().ok()?;
                AttrValue::IpPrefix(IpPrefix {
                    addr,
                    mask: mask_of(addr, l.parse().ok()?),
                })
            }
            vt::OBJECT_ID => AttrValue::Oid(self.map_oid(s)?),
            vt::OBJECT_LIST => AttrValue::OidList(
                list_items(s)?
                    .iter()
                    .map(|x| self.map_oid(x))
                    .collect::<Option<_>>()?,
            ),
            vt::UINT8_LIST => AttrValue::U8List(
                list_items(s)?
                    .iter()
                    .map(|x| num(x))
                    .collect::<Option<_>>()?,
            ),
            vt::UINT16_LIST => AttrValue::U16List(
                list_items(s)?
                    .iter()
                    .map(|x| num(x))
                    .collect::<Option<_>>()?,
            ),
            vt::UINT32_LIST => AttrValue::U32List(
                list_items(s)?
                    .iter()
                    .map(|x| num(x))
                    .collect::<Option<_>>()?,
            ),
            vt::INT32_LIST => AttrValue::I32List(
                list_items(s)?
                    .iter()
                    .map(|x| en(x))
                    .collect::<Option<_>>()?,
            ),
            vt::UINT32_RANGE => {
                let (a, b) = s.split_once(',')?;
                AttrValue::U32Range(num(a)?, num(b)?)
            }
            vt::ACL_FIELD_DATA_BOOL..=vt::ACL_FIELD_DATA_UINT8_LIST => {
                if s == "disabled" {
                    return Some(AttrValue::AclField {
                        enable: false,
                        data: AclData::None,
                        mask: AclData::None,
                    });
                }
                let (d, mk) = s.split_once("&mask:").unwrap_or((s, ""));
                let one = |x: &str| -> Option<AclData> {
                    Some(match t {
                        vt::ACL_FIELD_DATA_BOOL => AclData::Bool(x == "true"),
                        vt::ACL_FIELD_DATA_UINT8 => AclData::U8(num(x)?),
                        vt::ACL_FIELD_DATA_UINT16 => AclData::U16(num(x)?),
                        vt::ACL_FIELD_DATA_UINT32 => AclData::U32(num(x)?),
                        vt::ACL_FIELD_DATA_INT32 => AclData::I32(en(x)?),
                        vt::ACL_FIELD_DATA_MAC => AclData::Mac(mac(x)?),
                        vt::ACL_FIELD_DATA_IPV4 => {
                            AclData::Ipv4(x.parse::<std::net::Ipv4Addr>().ok()?.octets())
                        }
                        vt::ACL_FIELD_DATA_IPV6 => {
                            AclData::Ipv6(x.parse::<std::net::Ipv6Addr>().ok()?.octets())
                        }
                        vt::ACL_FIELD_DATA_OBJECT_ID => AclData::Oid(self.map_oid(x)?),
                        _ => return None,
                    })
                };
                let data = one(d)?;
                let mask = if mk.is_empty()
                    || t == vt::ACL_FIELD_DATA_BOOL
                    || t == vt::ACL_FIELD_DATA_OBJECT_ID
                {
                    AclData::None
                } else {
                    one(mk)?
                };
                AttrValue::AclField {
                    enable: true,
                    data,
                    mask,
                }
            }
            vt::ACL_ACTION_DATA_BOOL..=vt::ACL_ACTION_DATA_OBJECT_LIST => {
                if s == "disabled" {
                    return Some(AttrValue::AclAction {
                        enable: false,
                        param: AclData::None,
                    });
                }
                let param = match t {
                    vt::ACL_ACTION_DATA_BOOL => AclData::Bool(s == "true"),
                    vt::ACL_ACTION_DATA_UINT8 => AclData::U8(num(s)?),
                    vt::ACL_ACTION_DATA_UINT16 => AclData::U16(num(s)?),
                    vt::ACL_ACTION_DATA_UINT32 => AclData::U32(num(s)?),
                    vt::ACL_ACTION_DATA_INT32 => AclData::I32(en(s)?),
                    vt::ACL_ACTION_DATA_OBJECT_ID => AclData::Oid(self.map_oid(s)?),
                    _ => return None,
                };
                AttrValue::AclAction {
                    enable: true,
                    param,
                }
            }
            other => {
                // JSON forms (QoS maps, ...): keep the count, as the C boundary would.
                let count = s
                    .split("\"count\":")
                    .nth(1)
                    .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0);
                AttrValue::Other {
                    value_type: other,
                    flat: Vec::new(),
                    list: Some(Vec::new()),
                    count,
                }
            }
        })
    }

    fn attrs(&self, ot: u32, fields: &[&str]) -> Result<Vec<Attr>, String> {
        fields
            .iter()
            .filter(|f| !f.is_empty() && **f != "NULL=NULL")
            .map(|f| {
                let (n, v) = f.split_once('=').ok_or_else(|| format!("no '=' in {f}"))?;
                let m = sai_headers::meta::attr_by_name(n)
                    .ok_or_else(|| format!("unknown attribute {n}"))?;
                if m.ot != ot {
                    return Err(format!("{n} is not of this object type"));
                }
                let value = self
                    .value(m, v)
                    .ok_or_else(|| format!("cannot parse {n}={v}"))?;
                Ok(Attr::new(m.id, value))
            })
            .collect()
    }

    fn entry_key(&self, ot: u32, json: &str) -> Result<EntryKey, String> {
        let info = md::ot_info(ot).ok_or("no type")?;
        let body = json
            .trim()
            .trim_start_matches("{\"")
            .trim_end_matches("\"}");
        let pairs: Vec<(&str, &str)> = body
            .split("\",\"")
            .filter_map(|p| p.split_once("\":\""))
            .collect();
        let mut members = Vec::new();
        for km in info.key_members {
            let alias = match km.name {
                "destination" => "dest",
                "vr_id" => "vr",
                "rif_id" => "rif",
                "ip_address" => "ip",
                "mac_address" => "mac",
                "bv_id" => "bvid",
                n => n,
            };
            let v = pairs
                .iter()
                .find(|p| p.0 == km.name || p.0 == alias)
                .map(|p| p.1)
                .ok_or_else(|| format!("key member {} missing", km.name))?;
            let t = km.value_type as u32;
            let val = match t {
                vt::OBJECT_ID => {
                    AttrValue::Oid(self.map_oid(v).ok_or_else(|| format!("unmapped {v}"))?)
                }
                vt::IP_PREFIX => {
                    let (a, l) = v.split_once('/').ok_or("bad prefix")?;
                    let addr: IpAddr = a.parse().map_err(|_| "bad prefix")?;
                    AttrValue::IpPrefix(IpPrefix {
                        addr,
                        mask: mask_of(addr, l.parse().map_err(|_| "bad len")?),
                    })
                }
                vt::IP_ADDRESS => AttrValue::IpAddr(v.parse().map_err(|_| "bad ip")?),
                vt::MAC => AttrValue::Mac(mac(v).ok_or("bad mac")?),
                vt::UINT16 => AttrValue::U16(num(v).ok_or("bad u16")?),
                vt::UINT32 => AttrValue::U32(num(v).ok_or("bad u32")?),
                vt::INT32 => AttrValue::I32(
                    km.enum_info
                        .and_then(|e| e.value_of(v))
                        .or_else(|| num(v))
                        .ok_or("bad i32")?,
                ),
                other => return Err(format!("key member type {other}")),
            };
            members.push(val);
        }
        Ok(EntryKey { ot, members })
    }

    fn fail(&mut self, file: &str, n: usize, what: String) {
        self.failures.push(format!("{file}:{}: {what}", n + 1));
    }

    fn run(&mut self, file: &str, text: &str) {
        let lines: Vec<&str> = text.lines().collect();
        let mut i = 0;
        while i < lines.len() {
            let f: Vec<&str> = lines[i].split('|').collect();
            let n = i;
            i += 1;
            if f.len() < 3 {
                continue;
            }
            let (op, key) = (f[1], f[2]);
            let (otn, rest) = key.split_once(':').unwrap_or((key, ""));
            let Some(ot) = md::ot_id(otn) else { continue };
            let is_entry = md::ot_info(ot).is_some_and(|x| x.is_non_object_id);
            match op {
                "c" | "s" | "r" => {
                    self.calls += 1;
                    let attrs = match self.attrs(ot, &f[3..]) {
                        Ok(a) => a,
                        Err(e) => {
                            self.fail(file, n, format!("parse: {e}"));
                            continue;
                        }
                    };
                    let r: Result<(), i32> = if is_entry {
                        let k = match self.entry_key(ot, rest) {
                            Ok(k) => k,
                            Err(e) => {
                                self.fail(file, n, format!("key: {e}"));
                                continue;
                            }
                        };
                        match op {
                            "c" => self.sai.create_entry(k, attrs),
                            "r" => self.sai.remove_entry(&k),
                            _ => attrs
                                .into_iter()
                                .try_for_each(|a| self.sai.set_entry(&k, a)),
                        }
                    } else {
                        let rec = parse_oid(rest).unwrap_or(0);
                        if op == "c" {
                            if ot == ot_switch() && self.map.contains_key(&rec) {
                                // A second create_switch of the same switch is sairedis' "connect".
                                Ok(())
                            } else {
                                let sw = self
                                    .map
                                    .values()
                                    .copied()
                                    .find(|o| self.sai.object_type_query(*o) == ot_switch())
                                    .unwrap_or(0);
                                self.sai.create(ot, sw, attrs).map(|o| {
                                    self.map.insert(rec, o);
                                })
                            }
                        } else {
                            match self.map.get(&rec).copied() {
                                None => Err(status::INVALID_OBJECT_ID),
                                Some(o) if op == "r" => self.sai.remove(ot, o).map(|_| {
                                    self.map.remove(&rec);
                                }),
                                Some(o) => {
                                    attrs.into_iter().try_for_each(|a| self.sai.set(ot, o, a))
                                }
                            }
                        }
                    };
                    if let Err(st) = r {
                        self.fail(file, n, format!("{op} {otn}: {}", status::name(st)));
                    }
                }
                "C" | "R" | "S" => {
                    self.calls += 1;
                    // OP|TYPE||key|attrs||key|attrs
                    let line = lines[n];
                    let body = line.splitn(4, '|').nth(3).unwrap_or("");
                    let mut items = Vec::new();
                    for obj in body
                        .trim_start_matches('|')
                        .split("||")
                        .filter(|s| !s.is_empty())
                    {
                        let mut parts = obj.split('|');
                        let k = parts.next().unwrap_or("");
                        let fields: Vec<&str> = parts.collect();
                        items.push((k, fields));
                    }
                    if !is_entry {
                        continue;
                    }
                    let mut keys = Vec::new();
                    let mut attrs = Vec::new();
                    for (k, fields) in &items {
                        match (self.entry_key(ot, k), self.attrs(ot, fields)) {
                            (Ok(k), Ok(a)) => {
                                keys.push(k);
                                attrs.push(a);
                            }
                            (Err(e), _) | (_, Err(e)) => {
                                self.fail(file, n, format!("bulk parse: {e}"))
                            }
                        }
                    }
                    let st = match op {
                        "C" => self.sai.bulk_create_entries(
                            keys.into_iter().zip(attrs).collect(),
                            BulkMode::IgnoreError,
                        ),
                        "R" => self.sai.bulk_remove_entries(&keys, BulkMode::IgnoreError),
                        _ => self.sai.bulk_set_entries(
                            keys.into_iter()
                                .zip(attrs)
                                .filter_map(|(k, mut a)| a.pop().map(|a| (k, a)))
                                .collect(),
                            BulkMode::IgnoreError,
                        ),
                    };
                    if st.status != status::SUCCESS {
                        self.fail(
                            file,
                            n,
                            format!(
                                "bulk {op}: {:?}",
                                st.statuses
                                    .iter()
                                    .map(|s| status::name(*s))
                                    .collect::<Vec<_>>()
                            ),
                        );
                    }
                }
                "g" => {
                    // Pair with the G answer on the next line.
                    let Some(ans) = lines.get(i).filter(|l| l.split('|').nth(1) == Some("G"))
                    else {
                        continue;
                    };
                    i += 1;
                    self.calls += 1;
                    let rec = parse_oid(rest).unwrap_or(0);
                    let Some(o) = self.map.get(&rec).copied() else {
                        self.fail(file, n, "get on unmapped object".into());
                        continue;
                    };
                    for fld in ans.split('|').skip(3) {
                        let Some((an, av)) = fld.split_once('=') else {
                            continue;
                        };
                        let Some(m) = sai_headers::meta::attr_by_name(an) else {
                            continue;
                        };
                        let t = m.value_type as u32;
                        if t != vt::OBJECT_ID && t != vt::OBJECT_LIST {
                            continue;
                        }
                        let ours = match self.sai.get(ot, o, &[m.id]) {
                            Ok(mut v) => v.remove(0),
                            Err(st) => {
                                self.fail(file, n, format!("get {an}: {}", status::name(st)));
                                continue;
                            }
                        };
                        let theirs: Vec<u64> = if t == vt::OBJECT_ID {
                            parse_oid(av).into_iter().collect()
                        } else {
                            list_items(av)
                                .unwrap_or_default()
                                .iter()
                                .filter_map(|x| parse_oid(x))
                                .collect()
                        };
                        let ours: Vec<u64> = ours.oids().collect();
                        if ours.len() != theirs.len() {
                            self.fail(
                                file,
                                n,
                                format!(
                                    "get {an}: count {} vs recorded {}",
                                    ours.len(),
                                    theirs.len()
                                ),
                            );
                            continue;
                        }
                        for (t, o) in theirs.iter().zip(&ours) {
                            if *t == 0 || *o == 0 {
                                if (*t == 0) != (*o == 0) {
                                    self.fail(file, n, format!("get {an}: null mismatch"));
                                }
                                continue;
                            }
                            match self.map.get(t) {
                                Some(prev) if prev != o => {
                                    self.fail(file, n, format!("get {an}: id maps to two objects"))
                                }
                                _ => {
                                    self.map.insert(*t, *o);
                                }
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

fn ot_switch() -> u32 {
    sai_store::oid::OT_SWITCH
}

#[test]
fn recordings_replay_against_store() {
    let Ok(rd) = std::fs::read_dir(DIR) else {
        eprintln!("SKIP: {DIR} absent, recordings not replayed");
        return;
    };
    let mut files: Vec<_> = rd
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "rec"))
        .collect();
    files.sort();
    let mut all = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let profile = Profile::new()
            .with("SAI_VS_SWITCH_TYPE", "SAI_VS_SWITCH_TYPE_BCM56850")
            .with(
                "SAI_VS_INTERFACE_LANE_MAP_FILE",
                &format!("{DIR}/lanemap.ini"),
            );
        let mut r = Replay {
            sai: Sai::new(&profile).unwrap(),
            map: HashMap::new(),
            failures: Vec::new(),
            calls: 0,
        };
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        let t = std::time::Instant::now();
        r.run(&name, &text);
        eprintln!(
            "{name}: {} calls, {} failures, {:?}",
            r.calls,
            r.failures.len(),
            t.elapsed()
        );
        all.extend(r.failures);
    }
    for f in all.iter().take(40) {
        eprintln!("  {f}");
    }
    assert!(all.is_empty(), "{} failures", all.len());
}
