//! The profile syncd hands to `sai_api_initialize` (key/value pairs from `sai.profile` plus keys
//! syncd adds), parsed into a typed [`Config`]. Unknown keys are ignored (the profile is shared
//! with other components); known keys with a bad value are an error naming the key.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

/// Raw key/value profile.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Profile {
    pub values: BTreeMap<String, String>,
}

impl Profile {
    pub fn new() -> Self {
        Self::default()
    }
    /// Build from pairs.
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Profile {
            values: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }
    /// Add or replace one key.
    pub fn with(mut self, k: &str, v: &str) -> Self {
        self.values.insert(k.to_string(), v.to_string());
        self
    }
    pub fn get(&self, k: &str) -> Option<&str> {
        self.values.get(k).map(String::as_str)
    }
}

/// A profile error: the offending key and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileError {
    pub key: String,
    pub reason: String,
}

impl fmt::Display for ProfileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "profile key {}: {}", self.key, self.reason)
    }
}

impl std::error::Error for ProfileError {}

fn err(key: &str, reason: impl Into<String>) -> ProfileError {
    ProfileError {
        key: key.to_string(),
        reason: reason.into(),
    }
}

/// `SAI_BOOT_TYPE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BootType {
    Cold,
    Warm,
    Fast,
    Express,
}

/// One front port of the lane map.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LanePort {
    /// Interface name from the lane map (`eth0`, `Ethernet0`, ...).
    pub name: String,
    pub lanes: Vec<u32>,
}

/// Table sizes the store enforces and reports (CRM availability).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableSizes {
    /// Per object type name without `SAI_OBJECT_TYPE_` (e.g. `ROUTE_ENTRY`).
    pub sizes: BTreeMap<String, u64>,
    /// Size of every table not listed.
    pub default: u64,
}

impl Default for TableSizes {
    fn default() -> Self {
        let sizes = [
            ("ROUTE_ENTRY", 1 << 20),
            ("NEIGHBOR_ENTRY", 1 << 16),
            ("NEXT_HOP", 1 << 16),
            ("NEXT_HOP_GROUP", 1 << 12),
            ("NEXT_HOP_GROUP_MEMBER", 1 << 16),
            ("FDB_ENTRY", 1 << 15),
            ("NAT_ENTRY", 100),
            ("ACL_TABLE", 1 << 10),
            ("ACL_ENTRY", 1 << 14),
            ("ACL_COUNTER", 1 << 14),
            ("IPMC_ENTRY", 1 << 12),
            ("MY_SID_ENTRY", 1 << 12),
            ("DEBUG_COUNTER", 32),
        ];
        TableSizes {
            sizes: sizes.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            default: 1 << 16,
        }
    }
}

impl TableSizes {
    /// Size for an object type short name.
    pub fn size(&self, short: &str) -> u64 {
        self.sizes.get(short).copied().unwrap_or(self.default)
    }
}

/// The switch model the profile selects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SwitchModel {
    /// vslib's BCM56850 port model (20 queues, 8 IPGs, 13 scheduler groups per port); also used
    /// for `SAI_VS_SWITCH_TYPE_VPP` and when the key is absent.
    Bcm56850,
}

/// Typed configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub model: SwitchModel,
    pub boot_type: BootType,
    pub warm_boot_read_file: Option<PathBuf>,
    pub warm_boot_write_file: Option<PathBuf>,
    pub ports: Vec<LanePort>,
    pub use_tap_device: bool,
    pub use_configured_speed_as_oper_speed: bool,
    /// Speed of each front port at creation (Mb/s).
    pub port_speed: u32,
    /// Unicast and multicast queues per front port (BCM56850: 10 + 10).
    pub unicast_queues: u32,
    pub multicast_queues: u32,
    /// Queues of the CPU port (BCM56850: 32).
    pub cpu_queues: u32,
    pub ingress_priority_groups: u32,
    pub tables: TableSizes,
}

/// The BCM56850 lane map vslib ships (`tests/BCM56850/lanemap.ini`): 32 front ports, 4 lanes each.
const BCM56850_LANES: [[u32; 4]; 32] = [
    [29, 30, 31, 32],
    [25, 26, 27, 28],
    [37, 38, 39, 40],
    [33, 34, 35, 36],
    [41, 42, 43, 44],
    [45, 46, 47, 48],
    [5, 6, 7, 8],
    [1, 2, 3, 4],
    [9, 10, 11, 12],
    [13, 14, 15, 16],
    [21, 22, 23, 24],
    [17, 18, 19, 20],
    [249, 50, 51, 52],
    [353, 54, 55, 56],
    [461, 62, 63, 64],
    [557, 58, 59, 60],
    [665, 66, 67, 68],
    [769, 70, 71, 72],
    [877, 78, 79, 80],
    [973, 74, 75, 76],
    [105, 106, 107, 108],
    [109, 110, 111, 112],
    [117, 118, 119, 120],
    [113, 114, 115, 116],
    [121, 122, 123, 124],
    [125, 126, 127, 128],
    [85, 86, 87, 88],
    [81, 82, 83, 84],
    [89, 90, 91, 92],
    [93, 94, 95, 96],
    [97, 98, 99, 100],
    [101, 102, 103, 104],
];

/// The default lane map (identical to vslib's BCM56850 `lanemap.ini`).
pub fn default_lane_map() -> Vec<LanePort> {
    BCM56850_LANES
        .iter()
        .enumerate()
        .map(|(i, l)| LanePort {
            name: format!("eth{i}"),
            lanes: l.to_vec(),
        })
        .collect()
}

/// Parse a lane map (`name:lane,lane,...` per line; `;` and `#` start comments). vslib's
/// switch-indexed form `N:name:lane,...` is accepted too: lines of switch index 0 (the one switch
/// syncd creates) are ours, lines of other switch indexes are skipped.
pub fn parse_lane_map(text: &str) -> Result<Vec<LanePort>, String> {
    let mut ports = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with(';') || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split(':').collect();
        let (name, lanes) = match fields.as_slice() {
            [name, lanes] => (*name, *lanes),
            [index, name, lanes] => {
                let index: u32 = index
                    .trim()
                    .parse()
                    .map_err(|e| format!("line {}: bad switch index {index:?}: {e}", n + 1))?;
                if index != 0 {
                    continue;
                }
                (*name, *lanes)
            }
            _ => {
                return Err(format!(
                    "line {}: expected name:lanes or index:name:lanes",
                    n + 1
                ))
            }
        };
        let lanes: Result<Vec<u32>, _> =
            lanes.split(',').map(|l| l.trim().parse::<u32>()).collect();
        let lanes = lanes.map_err(|e| format!("line {}: bad lane: {e}", n + 1))?;
        if lanes.is_empty() {
            return Err(format!("line {}: no lanes", n + 1));
        }
        for l in &lanes {
            if !seen.insert(*l) {
                return Err(format!("line {}: lane {l} used twice", n + 1));
            }
        }
        ports.push(LanePort {
            name: name.trim().to_string(),
            lanes,
        });
    }
    if ports.is_empty() {
        return Err("no ports in lane map".into());
    }
    Ok(ports)
}

fn parse_bool(key: &str, v: &str) -> Result<bool, ProfileError> {
    match v.trim() {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        other => Err(err(key, format!("expected true/false, got {other:?}"))),
    }
}

fn parse_u64(key: &str, v: &str) -> Result<u64, ProfileError> {
    v.trim()
        .parse::<u64>()
        .map_err(|e| err(key, format!("expected an unsigned integer, got {v:?}: {e}")))
}

fn parse_u32(key: &str, v: &str) -> Result<u32, ProfileError> {
    v.trim()
        .parse::<u32>()
        .map_err(|e| err(key, format!("expected an unsigned integer, got {v:?}: {e}")))
}

/// Keys accepted and deliberately ignored (they configure vslib features we do not model).
pub const IGNORED_KEYS: &[&str] = &[
    "SAI_VS_INTERFACE_FABRIC_LANE_MAP_FILE",
    "SAI_VS_CORE_PORT_INDEX_MAP_FILE",
    "SAI_VS_RESOURCE_LIMITER_FILE",
    "SAI_VS_BFD_OFFLOAD_SUPPORTED",
    "SAI_VS_GLOBAL_CONTEXT",
    "SAI_VS_CONTEXT_CONFIG",
    "SAI_STATS_ST_CAPABILITY_SUPPORTED",
    "SAI_STATS_EXT_SWITCH_SUPPORTED",
];

impl Config {
    /// Parse a profile.
    pub fn from_profile(p: &Profile) -> Result<Config, ProfileError> {
        let mut c = Config {
            model: SwitchModel::Bcm56850,
            boot_type: BootType::Cold,
            warm_boot_read_file: None,
            warm_boot_write_file: None,
            ports: default_lane_map(),
            use_tap_device: false,
            use_configured_speed_as_oper_speed: false,
            port_speed: 40_000,
            unicast_queues: 10,
            multicast_queues: 10,
            cpu_queues: 32,
            ingress_priority_groups: 8,
            tables: TableSizes::default(),
        };
        for (k, v) in &p.values {
            let key = k.as_str();
            let v = v.as_str();
            match key {
                "SAI_VS_SWITCH_TYPE" => {
                    c.model = match v.trim() {
                        "SAI_VS_SWITCH_TYPE_BCM56850" | "SAI_VS_SWITCH_TYPE_VPP" | "BCM56850" | "VPP" => {
                            SwitchModel::Bcm56850
                        }
                        other => {
                            return Err(err(key, format!("unsupported switch type {other:?} (supported: SAI_VS_SWITCH_TYPE_BCM56850, SAI_VS_SWITCH_TYPE_VPP)")))
                        }
                    }
                }
                "SAI_VS_SAI_SWITCH_TYPE" => {
                    if v.trim() != "SAI_SWITCH_TYPE_NPU" {
                        return Err(err(key, format!("only SAI_SWITCH_TYPE_NPU is supported, got {v:?}")));
                    }
                }
                "SAI_VS_INTERFACE_LANE_MAP_FILE" | "FERROSAI_LANE_MAP_FILE" => {
                    let text = std::fs::read_to_string(v.trim()).map_err(|e| err(key, format!("cannot read {v:?}: {e}")))?;
                    c.ports = parse_lane_map(&text).map_err(|e| err(key, format!("{v}: {e}")))?;
                }
                "SAI_VS_HOSTIF_USE_TAP_DEVICE" => c.use_tap_device = parse_bool(key, v)?,
                "SAI_VS_USE_CONFIGURED_SPEED_AS_OPER_SPEED" => c.use_configured_speed_as_oper_speed = parse_bool(key, v)?,
                "SAI_BOOT_TYPE" => {
                    c.boot_type = match v.trim() {
                        "0" | "cold" => BootType::Cold,
                        "1" | "warm" => BootType::Warm,
                        "2" | "fast" => BootType::Fast,
                        "3" | "express" => BootType::Express,
                        other => return Err(err(key, format!("expected 0..3, got {other:?}"))),
                    }
                }
                "SAI_WARM_BOOT_READ_FILE" => c.warm_boot_read_file = Some(PathBuf::from(v.trim())),
                "SAI_WARM_BOOT_WRITE_FILE" => c.warm_boot_write_file = Some(PathBuf::from(v.trim())),
                "FERROSAI_PORT_SPEED" => c.port_speed = parse_u32(key, v)?,
                "FERROSAI_UNICAST_QUEUES" => c.unicast_queues = parse_u32(key, v)?.min(64),
                "FERROSAI_MULTICAST_QUEUES" => c.multicast_queues = parse_u32(key, v)?.min(64),
                "FERROSAI_CPU_QUEUES" => c.cpu_queues = parse_u32(key, v)?.min(64),
                "FERROSAI_INGRESS_PRIORITY_GROUPS" => c.ingress_priority_groups = parse_u32(key, v)?.min(64),
                "FERROSAI_TABLE_SIZE_DEFAULT" => c.tables.default = parse_u64(key, v)?,
                _ => {
                    if let Some(short) = key.strip_prefix("FERROSAI_TABLE_SIZE_") {
                        c.tables.sizes.insert(short.to_string(), parse_u64(key, v)?);
                    }
                    // Anything else (including IGNORED_KEYS) is not ours.
                }
            }
        }
        if c.unicast_queues != c.multicast_queues {
            return Err(err(
                "FERROSAI_UNICAST_QUEUES",
                "unicast and multicast queue counts must be equal (the scheduler tree pairs them)",
            ));
        }
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_matches_lanemap_ini() {
        let p = "/work/shared/sairedis-recordings/lanemap.ini";
        match std::fs::read_to_string(p) {
            Ok(t) => assert_eq!(parse_lane_map(&t).unwrap(), default_lane_map()),
            Err(_) => eprintln!("SKIP: {p} not present"),
        }
    }

    #[test]
    fn bad_values_name_the_key() {
        let e = Config::from_profile(&Profile::new().with("SAI_BOOT_TYPE", "9")).unwrap_err();
        assert_eq!(e.key, "SAI_BOOT_TYPE");
        let e = Config::from_profile(
            &Profile::new().with("SAI_VS_INTERFACE_LANE_MAP_FILE", "/nonexistent"),
        )
        .unwrap_err();
        assert_eq!(e.key, "SAI_VS_INTERFACE_LANE_MAP_FILE");
        let e = Config::from_profile(&Profile::new().with("SAI_VS_HOSTIF_USE_TAP_DEVICE", "yes"))
            .unwrap_err();
        assert_eq!(e.key, "SAI_VS_HOSTIF_USE_TAP_DEVICE");
        let e = Config::from_profile(&Profile::new().with("FERROSAI_TABLE_SIZE_ROUTE_ENTRY", "-1"))
            .unwrap_err();
        assert_eq!(e.key, "FERROSAI_TABLE_SIZE_ROUTE_ENTRY");
        let c = Config::from_profile(&Profile::new().with("FERROSAI_TABLE_SIZE_ROUTE_ENTRY", "10"))
            .unwrap();
        assert_eq!(c.tables.size("ROUTE_ENTRY"), 10);
    }

    #[test]
    fn lane_map_errors() {
        assert!(parse_lane_map("eth0:1,2\neth1:2,3\n").is_err());
        assert!(parse_lane_map("eth0 1,2").is_err());
        assert!(parse_lane_map("eth0:x").is_err());
        assert_eq!(
            parse_lane_map("; c\nEthernet0:1,2\n").unwrap()[0].lanes,
            vec![1, 2]
        );
        // vslib's switch-indexed form: switch 0's lines, other switches skipped
        let m = parse_lane_map("0:eth1:29,30\n1:eth9:29,30\neth2:25\n").unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!(
            (m[0].name.as_str(), m[0].lanes.clone()),
            ("eth1", vec![29, 30])
        );
        assert_eq!((m[1].name.as_str(), m[1].lanes.clone()), ("eth2", vec![25]));
        assert!(parse_lane_map("x:eth1:1\n")
            .unwrap_err()
            .contains("switch index"));
        assert!(parse_lane_map("0:eth1:1:2\n").is_err());
        assert!(parse_lane_map("1:eth1:1\n")
            .unwrap_err()
            .contains("no ports"));
        assert!(parse_lane_map("0:eth1:1\neth2:1\n").is_err());
    }
}
