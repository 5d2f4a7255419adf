//! Helpers written in Rust and registered in every Rego engine (`tollgate.*` functions).
//!
//! They are the hot path of the ingress rules: regorus spends microseconds on every Rego
//! function call, and these run for every ingress entry of every document. Each one is the only
//! implementation of what it computes; the helper library (`policies/lib/tollgate.rego`) calls
//! them, and users' policies may too (see `docs/writing-rego-policies.md`). Their semantics are
//! those the library had when it was written in Rego: OPA's `trim_space`, `to_number` (a JSON
//! number), `net.cidr_is_valid`, `format_int` and comparisons, as regorus implements them.
//!
//! A helper returns `Value::Undefined` where the Rego it replaces was undefined.

use std::collections::BTreeSet;
use std::net::IpAddr;

use regorus::Value;

/// Registers every helper in `engine`.
pub(super) fn register(engine: &mut regorus::Engine) -> anyhow::Result<()> {
    engine.add_extension(
        "tollgate.world_cidr_family".to_string(),
        1,
        Box::new(|args: Vec<Value>| Ok(arg(&args, 0).map_or(Value::Undefined, world_family))),
    )?;
    engine.add_extension(
        "tollgate.has_world_cidr".to_string(),
        2,
        Box::new(|args: Vec<Value>| match (arg(&args, 0), arg(&args, 1)) {
            (Some(obj), Some(keys)) => Ok(Value::from(has_world_cidr(obj, keys))),
            _ => Ok(Value::Undefined),
        }),
    )?;
    engine.add_extension(
        "tollgate.port_bound".to_string(),
        3,
        Box::new(
            |args: Vec<Value>| match (arg(&args, 0), arg(&args, 1), arg(&args, 2)) {
                (Some(obj), Some(key), Some(unknown)) => Ok(port_bound(obj, key, unknown)),
                _ => Ok(Value::Undefined),
            },
        ),
    )?;
    engine.add_extension(
        "tollgate.protocol_class".to_string(),
        2,
        Box::new(|args: Vec<Value>| match (arg(&args, 0), arg(&args, 1)) {
            (Some(p), Some(table)) => Ok(protocol_class(p, table)),
            _ => Ok(Value::Undefined),
        }),
    )?;
    engine.add_extension(
        "tollgate.open_ports".to_string(),
        4,
        Box::new(|args: Vec<Value>| {
            match (arg(&args, 0), arg(&args, 1), arg(&args, 2), arg(&args, 3)) {
                (Some(proto), Some(lo), Some(hi), Some(ports)) => {
                    Ok(open_ports(proto, lo, hi, ports))
                }
                _ => Ok(Value::Undefined),
            }
        }),
    )?;
    Ok(())
}

fn arg(args: &[Value], i: usize) -> Option<&Value> {
    args.get(i).filter(|v| **v != Value::Undefined)
}

fn text(s: &str) -> Value {
    Value::from(s)
}

/// `"ipv4"` or `"ipv6"` when `v` is a string holding a valid CIDR with prefix length 0
/// (surrounding whitespace ignored), else undefined.
///
/// The Rego it replaces: `s := trim_space(v)`, `net.cidr_is_valid(s)`, `split(s, "/")` has two
/// parts, `to_number(parts[1]) == 0`; the family is IPv6 when `s` contains `:`.
fn world_family(v: &Value) -> Value {
    let Value::String(s) = v else {
        return Value::Undefined;
    };
    let s = s.trim();
    let Some((address, prefix)) = s.split_once('/') else {
        return Value::Undefined;
    };
    // net.cidr_is_valid: an address, and a prefix that parses as an i16 in range (0 always is).
    let Ok(address) = address.parse::<IpAddr>() else {
        return Value::Undefined;
    };
    if prefix.parse::<i16>().is_err() {
        return Value::Undefined;
    }
    // split(s, "/") has exactly two parts, and to_number (a JSON number) of the prefix is 0.
    if prefix.contains('/') || !is_zero(&Value::from_json_str(prefix)) {
        return Value::Undefined;
    }
    match address {
        IpAddr::V4(_) => text("ipv4"),
        IpAddr::V6(_) => text("ipv6"),
    }
}

fn is_zero(parsed: &anyhow::Result<Value>) -> bool {
    matches!(parsed, Ok(n @ Value::Number(_)) if *n == Value::from(0u64))
}

fn is_world(v: &Value) -> bool {
    world_family(v) != Value::Undefined
}

/// Whether some `obj[key]` (for `key` in `keys`) is a world CIDR string, or an array holding
/// one: what `cidr_list` lists, world-open in either family.
fn has_world_cidr(obj: &Value, keys: &Value) -> bool {
    let Value::Object(obj) = obj else {
        return false;
    };
    elements(keys).any(|key| match obj.get(key) {
        Some(Value::Array(items)) => items.iter().any(is_world),
        Some(v @ Value::String(_)) => is_world(v),
        _ => false,
    })
}

/// The elements of an array or set, the values of an object; nothing for anything else.
fn elements(v: &Value) -> Box<dyn Iterator<Item = &Value> + '_> {
    match v {
        Value::Array(items) => Box::new(items.iter()),
        Value::Set(items) => Box::new(items.iter()),
        Value::Object(map) => Box::new(map.values()),
        _ => Box::new(std::iter::empty()),
    }
}

/// A port bound of `obj[key]`: "unknown" when `unknown[key]` is `true` or `obj` is an
/// unresolved intrinsic; else "any" for a missing or null value, the number (also from a
/// string holding one), or "unknown". Undefined when `obj` is not an object.
fn port_bound(obj: &Value, key: &Value, unknown: &Value) -> Value {
    if let Value::Object(u) = unknown {
        if u.get(key) == Some(&Value::Bool(true)) {
            return text("unknown");
        }
    }
    if is_intrinsic(obj) {
        return text("unknown");
    }
    let Value::Object(map) = obj else {
        return Value::Undefined;
    };
    match map.get(key) {
        None | Some(Value::Null) => text("any"),
        Some(n @ Value::Number(_)) => n.clone(),
        Some(Value::String(s)) => match Value::from_json_str(s.trim()) {
            Ok(n @ Value::Number(_)) => n,
            _ => text("unknown"),
        },
        Some(_) => text("unknown"),
    }
}

/// An object with exactly one key, `Ref` or `Fn::*` (`lib.is_intrinsic`).
fn is_intrinsic(v: &Value) -> bool {
    match v {
        Value::Object(map) if map.len() == 1 => map.keys().any(|k| match k {
            Value::String(k) => k.as_ref() == "Ref" || k.starts_with("Fn::"),
            _ => false,
        }),
        _ => false,
    }
}

/// `table[text]`, "other" when the table has no such key, for the protocol's text: a string
/// lower-cased and trimmed, or a whole number in decimal. "unknown" for anything else.
fn protocol_class(p: &Value, table: &Value) -> Value {
    let key = match p {
        Value::String(s) => s.trim().to_lowercase(),
        Value::Number(n) => {
            if Value::Number(n.floor()) != *p {
                return text("unknown");
            }
            // format_int(p, 10): the sign, then the decimal digits of |p|.
            if *p < Value::from(0u64) {
                format!("-{}", n.abs().floor().format_decimal())
            } else {
                n.floor().format_decimal()
            }
        }
        _ => return text("unknown"),
    };
    let Value::Object(table) = table else {
        return Value::Undefined;
    };
    table
        .get(&Value::from(key.as_str()))
        .cloned()
        .unwrap_or_else(|| text("other"))
}

/// The ports among `ports` (an array, set or object's values) that an entry of protocol class
/// `proto` with bounds `lo`..`hi` (from `port_bound`) opens: all of them for protocol all, for
/// tcp/udp with a missing bound ("any", and neither bound "unknown") or with `-1..-1`; those
/// with `lo <= p <= hi` for tcp/udp with numeric bounds; none otherwise.
fn open_ports(proto: &Value, lo: &Value, hi: &Value, ports: &Value) -> Value {
    let is = |v: &Value, s: &str| matches!(v, Value::String(t) if t.as_ref() == s);
    let tcp_udp = is(proto, "tcp") || is(proto, "udp");
    let minus_one = Value::from(-1i64);
    let every = is(proto, "all")
        || (tcp_udp
            && (is(lo, "any") || is(hi, "any"))
            && !(is(lo, "unknown") || is(hi, "unknown")))
        || (tcp_udp && *lo == minus_one && *hi == minus_one);
    let open: BTreeSet<Value> = if every {
        elements(ports).cloned().collect()
    } else if tcp_udp && matches!(lo, Value::Number(_)) && matches!(hi, Value::Number(_)) {
        elements(ports)
            .filter(|p| lo <= *p && *p <= hi)
            .cloned()
            .collect()
    } else {
        BTreeSet::new()
    };
    Value::from(open)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn v(j: serde_json::Value) -> Value {
        Value::from(j)
    }

    fn family(s: &str) -> Option<String> {
        match world_family(&Value::from(s)) {
            Value::String(f) => Some(f.to_string()),
            _ => None,
        }
    }

    #[test]
    fn world_cidrs() {
        for s in [
            "0.0.0.0/0",
            " 0.0.0.0/0\n",
            "10.0.0.0/0",
            "255.255.255.255/0",
            "0.0.0.0/-0",
        ] {
            assert_eq!(family(s).as_deref(), Some("ipv4"), "{s:?}");
        }
        for s in [
            "::/0",
            "0::/0",
            "0:0:0:0:0:0:0:0/0",
            "\t::/0 ",
            "::ffff:0.0.0.0/0",
            "2001:db8::/0",
        ] {
            assert_eq!(family(s).as_deref(), Some("ipv6"), "{s:?}");
        }
        for s in [
            "0.0.0.0/00",
            "0.0.0.0/+0",
            "0.0.0.0/0.0",
            "0.0.0.0/ 0",
            "0.0.0.0 /0",
            "0.0.0.0/0/0",
            "0.0.0.0",
            "0.0.0.0/1",
            "0.0.0.0/",
            "/0",
            "0.0.0/0",
            "256.0.0.0/0",
            ":::/0",
            "::/00",
            "::/1",
            "any",
            "",
        ] {
            assert_eq!(family(s), None, "{s:?}");
        }
        assert_eq!(world_family(&v(json!(0))), Value::Undefined);
        assert_eq!(world_family(&v(json!(null))), Value::Undefined);
        assert_eq!(world_family(&v(json!(["0.0.0.0/0"]))), Value::Undefined);
    }

    #[test]
    fn world_cidrs_in_an_object() {
        let keys = v(json!(["cidr_blocks", "ipv6_cidr_blocks"]));
        let has = |o: serde_json::Value| has_world_cidr(&v(o), &keys);
        assert!(has(json!({"cidr_blocks": ["10.0.0.0/8", " 0.0.0.0/0"]})));
        assert!(has(
            json!({"cidr_blocks": [], "ipv6_cidr_blocks": ["::/0"]})
        ));
        assert!(has(json!({"cidr_blocks": "0.0.0.0/0"})));
        assert!(!has(
            json!({"cidr_blocks": ["10.0.0.0/8"], "ipv6_cidr_blocks": null})
        ));
        assert!(!has(json!({"cidr_ipv4": "0.0.0.0/0"})));
        assert!(!has(json!({"cidr_blocks": [["0.0.0.0/0"]]})));
        assert!(!has(json!("0.0.0.0/0")));
    }

    #[test]
    fn port_bounds() {
        let none = v(json!({}));
        let bound =
            |o: serde_json::Value, u: &Value| port_bound(&v(o), &Value::from("from_port"), u);
        assert_eq!(bound(json!({"from_port": 22}), &none), v(json!(22)));
        assert_eq!(bound(json!({"from_port": -1}), &none), v(json!(-1)));
        assert_eq!(bound(json!({"from_port": " 22 "}), &none), v(json!(22)));
        assert_eq!(bound(json!({"from_port": "-1"}), &none), v(json!(-1)));
        assert_eq!(bound(json!({"from_port": "22.5"}), &none), v(json!(22.5)));
        assert_eq!(bound(json!({"from_port": null}), &none), Value::from("any"));
        assert_eq!(bound(json!({}), &none), Value::from("any"));
        for odd in [
            json!("ssh"),
            json!("022"),
            json!(true),
            json!([22]),
            json!({"a": 1}),
        ] {
            assert_eq!(
                bound(json!({"from_port": odd}), &none),
                Value::from("unknown")
            );
        }
        assert_eq!(
            bound(json!({"Ref": "Port"}), &none),
            Value::from("unknown"),
            "an intrinsic object"
        );
        assert_eq!(
            bound(json!({"from_port": 22}), &v(json!({"from_port": true}))),
            Value::from("unknown")
        );
        assert_eq!(
            bound(json!({"from_port": 22}), &v(json!({"from_port": false}))),
            v(json!(22))
        );
        assert_eq!(bound(json!(null), &none), Value::Undefined);
        assert_eq!(
            bound(json!(null), &v(json!({"from_port": true}))),
            Value::from("unknown")
        );
    }

    #[test]
    fn protocol_classes() {
        let table = v(
            json!({"-1": "all", "all": "all", "tcp": "tcp", "6": "tcp", "udp": "udp", "17": "udp"}),
        );
        let class = |p: serde_json::Value| protocol_class(&v(p), &table);
        assert_eq!(class(json!(" TCP ")), Value::from("tcp"));
        assert_eq!(class(json!("-1")), Value::from("all"));
        assert_eq!(class(json!(-1)), Value::from("all"));
        assert_eq!(class(json!(-1.0)), Value::from("all"));
        assert_eq!(class(json!(6)), Value::from("tcp"));
        assert_eq!(class(json!(17.0)), Value::from("udp"));
        assert_eq!(class(json!("All")), Value::from("all"));
        assert_eq!(class(json!("icmp")), Value::from("other"));
        assert_eq!(class(json!(1)), Value::from("other"));
        assert_eq!(class(json!(6.5)), Value::from("unknown"));
        assert_eq!(class(json!(null)), Value::from("unknown"));
        assert_eq!(class(json!(true)), Value::from("unknown"));
        assert_eq!(class(json!({"Ref": "P"})), Value::from("unknown"));
    }

    #[test]
    fn open_port_sets() {
        let ports = v(json!([22, 3389]));
        let open = |proto: &str, lo: serde_json::Value, hi: serde_json::Value| {
            open_ports(&Value::from(proto), &v(lo), &v(hi), &ports)
        };
        let set = |j: serde_json::Value| {
            Value::from(
                v(j).as_array()
                    .map(|a| a.iter().cloned().collect::<BTreeSet<_>>())
                    .unwrap_or_default(),
            )
        };
        assert_eq!(
            open("all", json!("unknown"), json!("unknown")),
            set(json!([22, 3389]))
        );
        assert_eq!(open("tcp", json!(0), json!(65535)), set(json!([22, 3389])));
        assert_eq!(open("udp", json!(22), json!(22)), set(json!([22])));
        assert_eq!(open("tcp", json!(23), json!(3388)), set(json!([])));
        assert_eq!(open("tcp", json!(-1), json!(-1)), set(json!([22, 3389])));
        assert_eq!(open("tcp", json!(-1), json!(0)), set(json!([])));
        assert_eq!(open("tcp", json!("any"), json!(25)), set(json!([22, 3389])));
        assert_eq!(open("tcp", json!("any"), json!("unknown")), set(json!([])));
        assert_eq!(open("tcp", json!("unknown"), json!(65535)), set(json!([])));
        assert_eq!(open("tcp", json!(21.5), json!(22.5)), set(json!([22])));
        assert_eq!(open("other", json!(0), json!(65535)), set(json!([])));
        assert_eq!(open("unknown", json!("any"), json!("any")), set(json!([])));
    }
}

/// The Rust helpers against the Rego they replaced, through regorus, on tricky values.
#[cfg(test)]
mod same_as_the_rego_they_replace {
    use serde_json::json;

    /// The library's helpers as they were written in Rego.
    const OLD: &str = r#"
package old
import rego.v1

is_world_ipv4(v) if {
	s := cidr_text(v)
	not contains(s, ":")
	prefix_zero(s)
}
is_world_ipv6(v) if {
	s := cidr_text(v)
	contains(s, ":")
	prefix_zero(s)
}
cidr_text(v) := trim_space(v) if is_string(v)
prefix_zero(s) if {
	net.cidr_is_valid(s)
	parts := split(s, "/")
	count(parts) == 2
	to_number(parts[1]) == 0
}
is_intrinsic(v) if {
	is_object(v)
	count(v) == 1
	some k, _ in v
	intrinsic_key(k)
}
intrinsic_key(k) := true if {
	k == "Ref"
} else := true if {
	startswith(k, "Fn::")
}
port_bound(obj, key, unknown) := "unknown" if {
	object.get(unknown, key, false) == true
} else := "unknown" if {
	is_intrinsic(obj)
} else := bound_value(object.get(obj, key, null))
bound_value(v) := "any" if {
	v == null
} else := v if {
	is_number(v)
} else := n if {
	is_string(v)
	n := to_number(trim_space(v))
} else := "unknown"
tf_protocols := {"-1": "all", "all": "all", "tcp": "tcp", "6": "tcp", "udp": "udp", "17": "udp"}
protocol_text(p) := lower(trim_space(p)) if {
	is_string(p)
} else := format_int(p, 10) if {
	is_number(p)
	p == floor(p)
}
tf_protocol_class(p) := c if {
	c := object.get(tf_protocols, protocol_text(p), "other")
} else := "unknown"
open_ports(proto, lo, hi, ports) := {p | some p in ports} if {
	covers_every_port(proto, lo, hi)
} else := {p | some p in ports; lo <= p; p <= hi} if {
	proto in {"tcp", "udp"}
	is_number(lo)
	is_number(hi)
} else := set()
covers_every_port(proto, lo, hi) := true if {
	proto == "all"
} else := true if {
	proto in {"tcp", "udp"}
	"any" in {lo, hi}
	not "unknown" in {lo, hi}
} else := true if {
	proto in {"tcp", "udp"}
	lo == -1
	hi == -1
}

# Each value with [old, new] results, as lists: [] where a result is undefined.
cidrs contains [v, [true | is_world_ipv4(v)], [true | tollgate.world_cidr_family(v) == "ipv4"], [true | is_world_ipv6(v)], [true | tollgate.world_cidr_family(v) == "ipv6"]] if {
	some v in input.cidrs
}
bounds contains [b, u, [x | x := port_bound(b, "from_port", u)], [x | x := tollgate.port_bound(b, "from_port", u)]] if {
	some b in input.bounds
	some u in input.unknowns
}
protocols contains [p, [x | x := tf_protocol_class(p)], [x | x := tollgate.protocol_class(p, tf_protocols)]] if {
	some p in input.protocols
}
ports contains [proto, lo, hi, [x | x := open_ports(proto, lo, hi, {22, 3389})], [x | x := tollgate.open_ports(proto, lo, hi, {22, 3389})]] if {
	some proto in ["all", "tcp", "udp", "other", "unknown"]
	some lo in input.port_values
	some hi in input.port_values
}
"#;

    #[test]
    fn on_tricky_values() {
        let mut engine = super::super::compile::new_regorus();
        engine
            .add_policy("old.rego".to_string(), OLD.to_string())
            .unwrap();
        let cidrs = json!([
            "0.0.0.0/0", " 0.0.0.0/0 ", "\t0.0.0.0/0\n", "10.0.0.0/0", "0.0.0.0/00", "0.0.0.0/-0",
            "0.0.0.0/+0", "0.0.0.0/0.0", "0.0.0.0/0e0", "0.0.0.0/ 0", "0.0.0.0 /0", "0.0.0.0/0/0",
            "0.0.0.0", "0.0.0.0/", "/0", "0.0.0.0/1", "0.0.0.0/32", "010.0.0.0/0", "0.0.0/0",
            "256.0.0.0/0", "::/0", "0::/0", "0:0:0:0:0:0:0:0/0", "::ffff:0.0.0.0/0",
            "2001:db8::/0", "::/00", "::/1", ":::/0", "[::]/0", "::/0 ", "\u{a0}::/0", "::/-0",
            "fe80::1%eth0/0", "", "any", 0, null, true, ["0.0.0.0/0"], {"Ref": "Cidr"}
        ]);
        let bounds = json!([
            {"from_port": 22}, {"from_port": -1}, {"from_port": 0}, {"from_port": 22.5},
            {"from_port": "22"}, {"from_port": " 22 "}, {"from_port": "-1"}, {"from_port": "022"},
            {"from_port": "2e1"}, {"from_port": "ssh"}, {"from_port": ""}, {"from_port": null},
            {"from_port": true}, {"from_port": [22]}, {"from_port": {"a": 1}}, {},
            {"Ref": "Port"}, {"Fn::GetAtt": ["a", "b"]}, {"Ref": "x", "from_port": 22},
            {"Fnx": 1}, null, "22", 22, []
        ]);
        let unknowns = json!([{}, {"from_port": true}, {"from_port": false}, {"to_port": true},
            null, true, []]);
        let protocols = json!([
            "tcp", " TCP ", "Tcp", "6", "-1", "all", "ALL", "udp", "17", "icmp", "58", -1, 6, 17,
            -1.0, 6.0, 6.5, 0, 1, -0.0, 1e20, "", " ", null, true, false, [6], {"Ref": "P"}
        ]);
        let port_values = json!([
            -1, 0, 21, 22, 23, 3388, 3389, 3390, 65535, 21.5, 22.5, "any", "unknown", "22", null
        ]);
        engine.set_input(regorus::Value::from(json!({
            "cidrs": cidrs, "bounds": bounds, "unknowns": unknowns,
            "protocols": protocols, "port_values": port_values,
        })));
        let mut query = |name: &str| -> Vec<serde_json::Value> {
            let results = engine
                .eval_query(format!("data.old.{name}"), false)
                .unwrap();
            let value = serde_json::to_value(&results.result[0].expressions[0].value).unwrap();
            value.as_array().unwrap().clone()
        };
        let rows = query("cidrs");
        assert_eq!(rows.len(), 40);
        let mut worlds = 0;
        for row in &rows {
            assert_eq!(row[1], row[2], "ipv4 {row}");
            assert_eq!(row[3], row[4], "ipv6 {row}");
            worlds += usize::from(row[1] != json!([]) || row[3] != json!([]));
        }
        assert_eq!(worlds, 13, "{rows:?}");
        let rows = query("bounds");
        assert_eq!(rows.len(), 24 * 7);
        for row in &rows {
            assert_eq!(row[2], row[3], "{row}");
        }
        let rows = query("protocols");
        assert_eq!(rows.len(), 25, "-1.0, 6.0 and -0.0 equal -1, 6 and 0");
        for row in &rows {
            assert_eq!(row[1], row[2], "{row}");
        }
        let rows = query("ports");
        assert_eq!(rows.len(), 5 * 15 * 15);
        for row in &rows {
            assert_eq!(row[3], row[4], "{row}");
        }
    }
}
