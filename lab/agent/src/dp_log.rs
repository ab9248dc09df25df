//! A data plane that programs nothing: it hands out object ids, records each operation and logs
//! it. Used by the agent's `--no-sai` development mode (control plane only; nothing forwards) and
//! by the tests of the state machine.

use std::net::IpAddr;

use crate::config_db::Mac;
use crate::prefix::IpPrefix;
use crate::state::{Dataplane, DpError, Oid, RouteAction};

/// Records operations as text lines.
#[derive(Debug, Default)]
pub struct LogDataplane {
    next: Oid,
    /// Every operation, in order.
    pub ops: Vec<String>,
    /// Fail the next operation whose text starts with this (tests).
    pub fail_prefix: Option<String>,
}

impl LogDataplane {
    fn id(&mut self) -> Oid {
        self.next += 1;
        self.next
    }
    fn rec(&mut self, op: &'static str, s: String) -> Result<(), DpError> {
        if let Some(p) = &self.fail_prefix {
            if s.starts_with(p.as_str()) {
                return Err(DpError {
                    op,
                    msg: "injected failure".into(),
                });
            }
        }
        tracing::info!(target: "dataplane", "{s}");
        self.ops.push(s);
        Ok(())
    }
}

impl Dataplane for LogDataplane {
    fn create_rif(&mut self, port: &str, mac: Mac, mtu: u32) -> Result<Oid, DpError> {
        let id = self.id();
        self.rec(
            "create rif",
            format!("create rif {id} {port} {mac} mtu {mtu}"),
        )?;
        Ok(id)
    }
    fn remove_rif(&mut self, rif: Oid) -> Result<(), DpError> {
        self.rec("remove rif", format!("remove rif {rif}"))
    }
    fn set_port_admin(&mut self, port: &str, up: bool) -> Result<(), DpError> {
        self.rec(
            "port admin",
            format!("set port {port} admin {}", if up { "up" } else { "down" }),
        )
    }
    fn create_next_hop(&mut self, ip: IpAddr, rif: Oid) -> Result<Oid, DpError> {
        let id = self.id();
        self.rec("create nh", format!("create nh {id} {ip} rif {rif}"))?;
        Ok(id)
    }
    fn remove_next_hop(&mut self, nh: Oid) -> Result<(), DpError> {
        self.rec("remove nh", format!("remove nh {nh}"))
    }
    fn create_group(&mut self, members: &[(Oid, u16)]) -> Result<(Oid, Vec<Oid>), DpError> {
        let g = self.id();
        let m: Vec<Oid> = members.iter().map(|_| self.id()).collect();
        self.rec("create nhg", format!("create nhg {g} members {members:?}"))?;
        Ok((g, m))
    }
    fn remove_group(&mut self, group: Oid, members: &[Oid]) -> Result<(), DpError> {
        self.rec(
            "remove nhg",
            format!("remove nhg {group} members {members:?}"),
        )
    }
    fn create_routes(&mut self, routes: &[(IpPrefix, RouteAction)]) -> Vec<Result<(), DpError>> {
        if routes.len() > 1 {
            self.ops
                .push(format!("bulk create {} routes", routes.len()));
        }
        routes
            .iter()
            .map(|(p, a)| self.rec("create route", format!("create route {p} {a:?}")))
            .collect()
    }
    fn set_route(&mut self, prefix: IpPrefix, action: RouteAction) -> Result<(), DpError> {
        self.rec("set route", format!("set route {prefix} {action:?}"))
    }
    fn remove_routes(&mut self, prefixes: &[IpPrefix]) -> Vec<Result<(), DpError>> {
        if prefixes.len() > 1 {
            self.ops
                .push(format!("bulk remove {} routes", prefixes.len()));
        }
        prefixes
            .iter()
            .map(|p| self.rec("remove route", format!("remove route {p}")))
            .collect()
    }
    fn set_neighbor(
        &mut self,
        ip: IpAddr,
        rif: Oid,
        mac: Mac,
        create: bool,
    ) -> Result<(), DpError> {
        let verb = if create { "create" } else { "set" };
        self.rec("neighbor", format!("{verb} neighbor {ip} rif {rif} {mac}"))
    }
    fn remove_neighbor(&mut self, ip: IpAddr, rif: Oid) -> Result<(), DpError> {
        self.rec("remove neighbor", format!("remove neighbor {ip} rif {rif}"))
    }
}
