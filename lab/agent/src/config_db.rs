//! The SONiC-style `config_db.json` subset the lab uses: DEVICE_METADATA, PORT, INTERFACE.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::prefix::IfAddr;

/// A MAC address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Mac(pub [u8; 6]);

impl std::str::FromStr for Mac {
    type Err = ConfigError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut out = [0u8; 6];
        let mut n = 0;
        for part in s.split(':') {
            if n == 6 || part.len() != 2 {
                return Err(ConfigError::Value(format!("bad MAC {s:?}")));
            }
            out[n] = u8::from_str_radix(part, 16)
                .map_err(|_| ConfigError::Value(format!("bad MAC {s:?}")))?;
            n += 1;
        }
        if n != 6 {
            return Err(ConfigError::Value(format!("bad MAC {s:?}")));
        }
        Ok(Mac(out))
    }
}

impl std::fmt::Display for Mac {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let m = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            m[0], m[1], m[2], m[3], m[4], m[5]
        )
    }
}

/// A config_db error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// Not JSON.
    #[error("config_db is not JSON: {0}")]
    Json(String),
    /// A required table or field is missing.
    #[error("config_db: missing {0}")]
    Missing(String),
    /// A field has a bad value.
    #[error("config_db: {0}")]
    Value(String),
}

/// One PORT entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortCfg {
    /// Port name (Ethernet0).
    pub name: String,
    /// Hardware lanes.
    pub lanes: Vec<u32>,
    /// Alias (eth1).
    pub alias: String,
    /// admin_status == "up".
    pub admin_up: bool,
    /// MTU.
    pub mtu: u32,
    /// Speed in Mb/s (0 if not given).
    pub speed: u32,
}

/// The parsed config_db.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigDb {
    /// Router MAC (DEVICE_METADATA|localhost mac).
    pub mac: Mac,
    /// Hostname, if given.
    pub hostname: String,
    /// Ports by name.
    pub ports: BTreeMap<String, PortCfg>,
    /// Router interfaces: port name -> its addresses (an entry with no address still makes a RIF).
    pub interfaces: BTreeMap<String, BTreeSet<IfAddr>>,
}

fn field<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str)
}

impl ConfigDb {
    /// Parses config_db.json text.
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        let v: Value = serde_json::from_str(text).map_err(|e| ConfigError::Json(e.to_string()))?;
        let meta = v
            .get("DEVICE_METADATA")
            .and_then(|m| m.get("localhost"))
            .ok_or_else(|| ConfigError::Missing("DEVICE_METADATA|localhost".into()))?;
        let mac: Mac = field(meta, "mac")
            .ok_or_else(|| ConfigError::Missing("DEVICE_METADATA|localhost mac".into()))?
            .parse()?;
        let hostname = field(meta, "hostname").unwrap_or("").to_string();
        let mut ports = BTreeMap::new();
        if let Some(tbl) = v.get("PORT").and_then(Value::as_object) {
            for (name, p) in tbl {
                let lanes = field(p, "lanes")
                    .ok_or_else(|| ConfigError::Missing(format!("PORT|{name} lanes")))?
                    .split(',')
                    .map(|l| {
                        l.trim()
                            .parse::<u32>()
                            .map_err(|_| ConfigError::Value(format!("PORT|{name} lanes {l:?}")))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let num = |k: &str, d: u32| -> Result<u32, ConfigError> {
                    field(p, k).map_or(Ok(d), |s| {
                        s.parse()
                            .map_err(|_| ConfigError::Value(format!("PORT|{name} {k} {s:?}")))
                    })
                };
                ports.insert(
                    name.clone(),
                    PortCfg {
                        name: name.clone(),
                        lanes,
                        alias: field(p, "alias").unwrap_or(name).to_string(),
                        admin_up: field(p, "admin_status") == Some("up"),
                        mtu: num("mtu", 9100)?,
                        speed: num("speed", 0)?,
                    },
                );
            }
        }
        let mut interfaces: BTreeMap<String, BTreeSet<IfAddr>> = BTreeMap::new();
        if let Some(tbl) = v.get("INTERFACE").and_then(Value::as_object) {
            for key in tbl.keys() {
                let (port, addr) = match key.split_once('|') {
                    Some((p, a)) => (p, Some(a)),
                    None => (key.as_str(), None),
                };
                if !ports.contains_key(port) {
                    return Err(ConfigError::Value(format!(
                        "INTERFACE|{key}: no PORT {port}"
                    )));
                }
                let set = interfaces.entry(port.to_string()).or_default();
                if let Some(a) = addr {
                    set.insert(
                        a.parse()
                            .map_err(|e| ConfigError::Value(format!("INTERFACE|{key}: {e}")))?,
                    );
                }
            }
        }
        Ok(Self {
            mac,
            hostname,
            ports,
            interfaces,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sonic_tables() {
        let c = ConfigDb::parse(
            r#"{"DEVICE_METADATA":{"localhost":{"hostname":"router1","mac":"02:fe:00:00:01:00"}},
            "PORT":{"Ethernet0":{"lanes":"0,1","alias":"eth1","admin_status":"up","mtu":"1500"},
                    "Ethernet4":{"lanes":"4","alias":"eth2"}},
            "INTERFACE":{"Ethernet0":{},"Ethernet0|10.0.1.1/30":{},"Ethernet4|2001:db8::1/64":{}}}"#,
        )
        .unwrap();
        assert_eq!(c.mac.to_string(), "02:fe:00:00:01:00");
        assert_eq!(c.ports["Ethernet0"].lanes, vec![0, 1]);
        assert!(c.ports["Ethernet0"].admin_up);
        assert!(!c.ports["Ethernet4"].admin_up);
        assert_eq!(c.ports["Ethernet0"].mtu, 1500);
        assert_eq!(c.ports["Ethernet4"].mtu, 9100);
        let a: Vec<String> = c.interfaces["Ethernet0"]
            .iter()
            .map(|a| a.to_string())
            .collect();
        assert_eq!(a, vec!["10.0.1.1/30"]);
        assert_eq!(c.interfaces["Ethernet4"].len(), 1);
    }

    #[test]
    fn rejects_bad_input() {
        assert!(ConfigDb::parse("{").is_err());
        assert!(ConfigDb::parse(r#"{"PORT":{}}"#).is_err());
        let bad_lane = r#"{"DEVICE_METADATA":{"localhost":{"mac":"02:00:00:00:00:01"}},
            "PORT":{"Ethernet0":{"lanes":"x"}}}"#;
        assert!(matches!(
            ConfigDb::parse(bad_lane),
            Err(ConfigError::Value(_))
        ));
        let no_port = r#"{"DEVICE_METADATA":{"localhost":{"mac":"02:00:00:00:00:01"}},
            "INTERFACE":{"Ethernet8|10.0.0.1/24":{}}}"#;
        assert!(ConfigDb::parse(no_port).is_err());
        assert!("02:00:00:00:00".parse::<Mac>().is_err());
        assert!("02:00:00:00:00:0g".parse::<Mac>().is_err());
    }
}
