//! `show runtime` / `show errors` renderers: text, and structured records for JSON.

use super::{error_desc, NodeId, NodeRuntime, N_NODES};
use core::fmt::Write;

/// One node's runtime counters.
#[derive(Clone, Debug, PartialEq)]
pub struct RuntimeStat {
    /// Node name.
    pub node: &'static str,
    /// Dispatches.
    pub calls: u64,
    /// Packets.
    pub packets: u64,
    /// Clock units.
    pub clocks: u64,
    /// Packets per dispatch.
    pub packets_per_call: f64,
    /// Clock units per packet.
    pub clocks_per_packet: f64,
}

/// One non-zero error counter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErrorStat {
    /// Node name.
    pub node: &'static str,
    /// Counter name.
    pub name: &'static str,
    /// Description.
    pub description: &'static str,
    /// Severity.
    pub severity: &'static str,
    /// Count.
    pub count: u64,
}

#[allow(clippy::cast_precision_loss, reason = "display ratios")]
fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// Structured runtime counters of the nodes that ran.
pub fn runtime_stats(rt: &[NodeRuntime; N_NODES]) -> Vec<RuntimeStat> {
    NodeId::ALL
        .iter()
        .zip(rt.iter())
        .filter(|(_, r)| r.calls > 0)
        .map(|(n, r)| RuntimeStat {
            node: n.name(),
            calls: r.calls,
            packets: r.packets,
            clocks: r.clocks,
            packets_per_call: ratio(r.packets, r.calls),
            clocks_per_packet: ratio(r.clocks, r.packets),
        })
        .collect()
}

/// `show runtime` text.
pub fn runtime_text(rt: &[NodeRuntime; N_NODES]) -> String {
    let mut s = format!(
        "{:<24}{:>12}{:>14}{:>16}{:>12}{:>14}\n",
        "Name", "Calls", "Vectors", "Clocks", "Vec/Call", "Clocks/Pkt"
    );
    for r in runtime_stats(rt) {
        let _ = writeln!(
            s,
            "{:<24}{:>12}{:>14}{:>16}{:>12.2}{:>14.2}",
            r.node, r.calls, r.packets, r.clocks, r.packets_per_call, r.clocks_per_packet
        );
    }
    s
}

/// Structured non-zero error counters.
pub fn error_stats(errors: &[u64]) -> Vec<ErrorStat> {
    errors
        .iter()
        .enumerate()
        .filter(|(_, c)| **c > 0)
        .filter_map(|(i, c)| {
            let (n, d) = error_desc(u16::try_from(i).ok()?)?;
            Some(ErrorStat {
                node: n.name(),
                name: d.name,
                description: d.description,
                severity: d.severity.as_str(),
                count: *c,
            })
        })
        .collect()
}

/// `show errors` text.
pub fn errors_text(errors: &[u64]) -> String {
    let mut s = format!(
        "{:>12}  {:<22}{:<52}{}\n",
        "Count", "Node", "Reason", "Severity"
    );
    for e in error_stats(errors) {
        let _ = writeln!(
            s,
            "{:>12}  {:<22}{:<52}{}",
            e.count, e.node, e.description, e.severity
        );
    }
    s
}

fn json_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Runtime counters as a JSON array.
pub fn runtime_json(rt: &[NodeRuntime; N_NODES]) -> String {
    let mut s = String::from("[");
    for (k, r) in runtime_stats(rt).iter().enumerate() {
        if k > 0 {
            s.push(',');
        }
        s.push_str("{\"node\":");
        json_str(r.node, &mut s);
        let _ = write!(
            s,
            ",\"calls\":{},\"vectors\":{},\"clocks\":{},\"clocks_per_packet\":{:.3}}}",
            r.calls, r.packets, r.clocks, r.clocks_per_packet
        );
    }
    s.push(']');
    s
}

/// Non-zero error counters as a JSON array.
pub fn errors_json(errors: &[u64]) -> String {
    let mut s = String::from("[");
    for (k, e) in error_stats(errors).iter().enumerate() {
        if k > 0 {
            s.push(',');
        }
        s.push_str("{\"node\":");
        json_str(e.node, &mut s);
        s.push_str(",\"name\":");
        json_str(e.name, &mut s);
        s.push_str(",\"description\":");
        json_str(e.description, &mut s);
        s.push_str(",\"severity\":");
        json_str(e.severity, &mut s);
        let _ = write!(s, ",\"count\":{}}}", e.count);
    }
    s.push(']');
    s
}

/// `show vlib graph`: every node with its next nodes and error counters.
pub fn graph_text() -> String {
    let mut s = String::new();
    for n in NodeId::ALL {
        let r = n.reg();
        let nexts: Vec<&str> = r.next_nodes.iter().map(|x| x.name()).collect();
        let _ = writeln!(s, "{:<24} next: {}", r.name, nexts.join(", "));
        for e in r.errors {
            let _ = writeln!(
                s,
                "{:<26}{:<20}{:<6}{}",
                "",
                e.name,
                e.severity.as_str(),
                e.description
            );
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graph_text_lists_nodes_and_arcs() {
        let t = graph_text();
        assert!(
            t.contains("ip4-lookup               next: error-drop, punt, ip4-rewrite"),
            "{t}"
        );
        assert!(t.contains("checksum"));
    }
}
