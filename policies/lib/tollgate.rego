# Shared helpers for tollgate's Rego policies (built-in and users').
#
# Import with `import data.tollgate.lib` and call e.g. `lib.is_true(v)`.
# Every helper follows the value conventions of CONTROLS.md:
#
# * booleans may be `true`/`false` or the strings "true"/"false" in any letter case;
# * numbers may be strings ("22");
# * unknown values are single-key intrinsic objects (`Ref`, `Fn::*`) in CloudFormation
#   documents, and `null`/absent values marked `true` in `after_unknown` in Terraform documents;
# * a world CIDR is a valid IPv4 or IPv6 CIDR with prefix length 0 (parsed, whitespace ignored).
package tollgate.lib

import rego.v1

# ---------------------------------------------------------------------------------------------
# Options
# ---------------------------------------------------------------------------------------------

# The remote-administration ports to check: `admin_ports` from tollgate.toml, default 22, 3389.
default admin_ports := {22, 3389}

admin_ports := {n |
	some p in items(data.tollgate.options.admin_ports)
	n := to_num(p)
} if {
	is_array(data.tollgate.options.admin_ports)
}

# ---------------------------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------------------------

# An unresolved CloudFormation intrinsic: an object with exactly one key, `Ref` or `Fn::*`.
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

# `true`, or the string "true" in any letter case.
is_true(v) if v == true

is_true(v) if {
	is_string(v)
	lower(trim_space(v)) == "true"
}

# `false`, or the string "false" in any letter case.
is_false(v) if v == false

is_false(v) if {
	is_string(v)
	lower(trim_space(v)) == "false"
}

# A number, or a string holding one. Undefined for anything else.
to_num(v) := v if {
	is_number(v)
} else := n if {
	is_string(v)
	n := to_number(trim_space(v))
}

# The elements of a collection, or nothing when `v` is not one. regorus (unlike OPA) fails on
# `some x in v` when v is null, a string or a number, so iterate over input data with
# `some x in items(v)`.
items(v) := v if {
	is_array(v)
} else := v if {
	is_object(v)
} else := v if {
	is_set(v)
} else := []

# A value that is present: not null, not an empty string.
has_value(v) if {
	v != null
	v != ""
}

# ---------------------------------------------------------------------------------------------
# JSON pointers
# ---------------------------------------------------------------------------------------------

# The RFC 6901 pointer for a path given as an array of keys (strings) and indexes (numbers).
pointer(path) := concat("", [concat("", ["/", segment(p)]) | some p in path])

segment(p) := format_int(p, 10) if is_number(p)

segment(p) := replace(replace(p, "~", "~0"), "/", "~1") if is_string(p)

# ---------------------------------------------------------------------------------------------
# CIDRs
# ---------------------------------------------------------------------------------------------

# The world CIDR tests are Rust helpers registered in every engine (see
# docs/writing-rego-policies.md): `tollgate.world_cidr_family(v)` is "ipv4" or "ipv6" for a
# string holding a valid CIDR with prefix length 0 (whitespace ignored), else undefined, and
# `tollgate.has_world_cidr(obj, keys)` says whether some `obj[key]` is one or is an array
# holding one.

# A valid IPv4 CIDR with prefix length 0 (`0.0.0.0/0`, also `10.0.0.0/0`).
is_world_ipv4(v) if tollgate.world_cidr_family(v) == "ipv4"

# A valid IPv6 CIDR with prefix length 0 (`::/0`, `0::/0`, `0:0:0:0:0:0:0:0/0`).
is_world_ipv6(v) if tollgate.world_cidr_family(v) == "ipv6"

# Either of the above.
is_world(v) if tollgate.world_cidr_family(v)

# The CIDR as it is shown in messages: trimmed.
cidr_text(v) := trim_space(v) if is_string(v)

# ---------------------------------------------------------------------------------------------
# Protocols and ports
# ---------------------------------------------------------------------------------------------

# "all", "tcp", "udp" or "other" for a CloudFormation protocol (-1, tcp/6, udp/17).
# Undefined for an unknown value.
cfn_protocol(p) := object.get(cfn_protocols, protocol_text(p), "other")

cfn_protocols := {"-1": "all", "tcp": "tcp", "6": "tcp", "udp": "udp", "17": "udp"}

# The same for Terraform, which also spells "all" as "all".
tf_protocol(p) := object.get(tf_protocols, protocol_text(p), "other")

tf_protocols := {"-1": "all", "all": "all", "tcp": "tcp", "6": "tcp", "udp": "udp", "17": "udp"}

# The protocol as text (lower case, trimmed); undefined for anything but a string or an integer.
protocol_text(p) := lower(trim_space(p)) if {
	is_string(p)
} else := format_int(p, 10) if {
	is_number(p)
	p == floor(p)
}

# A port bound of `obj[key]`: a number, "any" when it is missing or null, "unknown" when `obj`
# is an intrinsic, when `key` is marked in `unknown` (the matching `after_unknown` object, `{}`
# for CloudFormation), or when the value is not a number (nor a string holding one).
# A Rust helper: `tollgate.port_bound(obj, key, unknown)`.
port_bound(obj, key, unknown) := tollgate.port_bound(obj, key, unknown)

# The protocol class ("all", "tcp", "udp", "other") of a protocol value, "unknown" when it is
# neither a string nor a whole number (`tollgate.protocol_class(p, table)`: the table entry for
# protocol_text(p), "other" when there is none).
cfn_protocol_class(p) := tollgate.protocol_class(p, cfn_protocols)

tf_protocol_class(p) := tollgate.protocol_class(p, tf_protocols)

# Whether a protocol class with bounds lo..hi (from port_bound) covers port p.
covers(proto, _, _, _) if proto == "all"

covers(proto, lo, hi, _) if {
	proto in {"tcp", "udp"}
	"any" in {lo, hi}
	not "unknown" in {lo, hi}
}

covers(proto, lo, hi, _) if {
	proto in {"tcp", "udp"}
	lo == -1
	hi == -1
}

covers(proto, lo, hi, p) if {
	proto in {"tcp", "udp"}
	is_number(lo)
	is_number(hi)
	lo <= p
	p <= hi
}

# The ports among `ports` (a set or an array) that the entry opens (what `covers` says, port by
# port). A Rust helper: `tollgate.open_ports(proto, lo, hi, ports)`.
open_ports(proto, lo, hi, ports) := tollgate.open_ports(proto, lo, hi, ports)

# "port 22", "ports 22 and 3389", "ports 22, 3389 and 5900".
describe_ports(ports) := sprintf("port %v", [only]) if {
	count(ports) == 1
	some only in ports
}

describe_ports(ports) := sprintf("ports %s and %v", [concat(", ", [sprintf("%v", [p]) | some p in array.slice(sorted, 0, count(sorted) - 1)]), sorted[count(sorted) - 1]]) if {
	count(ports) > 1
	sorted := sort(ports)
}

# ---------------------------------------------------------------------------------------------
# Terraform
# ---------------------------------------------------------------------------------------------

# Managed resources of the given type, as (index, resource) pairs: `some i, r in lib.tf_resources(t)`.
tf_resources(t) := {i: r |
	some i, r in items(input.resources)
	r.type == t
	object.get(r, "mode", "managed") == "managed"
}

# The `after_unknown` object at `path` below a resource (`{}` where nothing is unknown).
tf_unknown_at(r, path) := u if {
	u := object.get(object.get(r, "after_unknown", {}), path, {})
	is_object(u)
} else := {}

# Whether the attribute at `path` of a Terraform resource is unknown until apply.
tf_is_unknown(r, path) if object.get(object.get(r, "after_unknown", {}), path, false) == true

# Whether `attr` of `r` references (through the configuration) the resource `target`.
tf_references(r, attr, target) if target.config_address in object.get(object.get(r, "references", {}), attr, [])

# ---------------------------------------------------------------------------------------------
# CloudFormation
# ---------------------------------------------------------------------------------------------

# A resource's `Properties` (`{}` when absent or not an object).
cfn_props(res) := p if {
	p := res.Properties
	is_object(p)
} else := {}

# A property that is written (not absent, null or ""); an unresolved intrinsic counts as written
# (`DBClusterIdentifier: !Ref Cluster` names a cluster even though its value is unknown).
cfn_is_set(obj, key) if has_value(object.get(obj, key, null))

# Where a finding about a must-be-true property points: the property's value when one is
# written (and known), else `fallback` (the entry's object or the resource's key).
value_path(obj, key, path, fallback) := array.concat(path, [key]) if {
	v := object.get(obj, key, null)
	has_value(v)
	not is_intrinsic(v)
} else := fallback

# ---------------------------------------------------------------------------------------------
# Terraform
# ---------------------------------------------------------------------------------------------

is_managed(r) if object.get(r, "mode", "managed") == "managed"

# A top-level attribute that is set: a known non-empty value, or an expression that refers to
# other resources (whose value is unknown until apply).
tf_is_set(r, key) if has_value(object.get(r.after, key, null))

tf_is_set(r, key) if count(object.get(object.get(r, "references", {}), key, [])) > 0

# ---------------------------------------------------------------------------------------------
# Ingress entries (security groups and network ACLs), normalised
# ---------------------------------------------------------------------------------------------
#
# Each entry is {"resource", "proto": "all"|"tcp"|"udp"|"other"|"unknown", "lo", "hi" (from
# port_bound), "v4": [{"value", "path"}], "v6": [{"value", "path"}]} where the CIDR lists hold
# every CIDR of the entry in order, with the path to report.

# Security-group ingress in a CloudFormation template: each element of
# AWS::EC2::SecurityGroup SecurityGroupIngress, and each AWS::EC2::SecurityGroupIngress.
cfn_sg_ingress contains entry if {
	some name, res in items(input.Resources)
	res.Type == "AWS::EC2::SecurityGroup"
	rules := cfn_props(res).SecurityGroupIngress
	is_array(rules)
	some i, e in rules
	is_object(e)
	not is_intrinsic(e)
	entry := cfn_entry(name, e, ["Resources", name, "Properties", "SecurityGroupIngress", i], "IpProtocol", "FromPort", "ToPort", "CidrIp", "CidrIpv6")
}

cfn_sg_ingress contains entry if {
	some name, res in items(input.Resources)
	res.Type == "AWS::EC2::SecurityGroupIngress"
	e := cfn_props(res)
	entry := cfn_entry(name, e, ["Resources", name, "Properties"], "IpProtocol", "FromPort", "ToPort", "CidrIp", "CidrIpv6")
}

# Inbound allow entries of network ACLs in a CloudFormation template.
cfn_nacl_ingress contains entry if {
	some name, res in items(input.Resources)
	res.Type == "AWS::EC2::NetworkAclEntry"
	e := cfn_props(res)
	not is_intrinsic(object.get(e, "Egress", null))
	cfn_inbound(object.get(e, "Egress", null))
	lower(trim_space(e.RuleAction)) == "allow"
	range := object.get(e, "PortRange", {})
	path := ["Resources", name, "Properties"]
	entry := {
		"resource": name,
		"proto": cfn_protocol_class(object.get(e, "Protocol", null)),
		"lo": port_bound(range_object(range), "From", {}),
		"hi": port_bound(range_object(range), "To", {}),
		"v4": cidr_list(e, "CidrBlock", path),
		"v6": cidr_list(e, "Ipv6CidrBlock", path),
	}
}

cfn_inbound(v) if v == null

cfn_inbound(v) if is_false(v)

range_object(r) := {} if r == null

range_object(r) := r if is_object(r)

cfn_entry(name, e, path, proto_key, from_key, to_key, v4_key, v6_key) := {
	"resource": name,
	"proto": cfn_protocol_class(object.get(e, proto_key, null)),
	"lo": port_bound(e, from_key, {}),
	"hi": port_bound(e, to_key, {}),
	"v4": cidr_list(e, v4_key, path),
	"v6": cidr_list(e, v6_key, path),
}

# Security-group ingress in a Terraform plan: `ingress` blocks of aws_security_group and
# aws_default_security_group, aws_security_group_rule of type ingress, and
# aws_vpc_security_group_ingress_rule.
tf_sg_ingress contains entry if {
	some i, r in items(input.resources)
	r.type in {"aws_security_group", "aws_default_security_group"}
	is_managed(r)
	some j, b in items(r.after.ingress)
	is_object(b)
	unknown := tf_unknown_at(r, ["ingress", j])
	entry := tf_entry(r.address, b, unknown, ["resources", i, "after", "ingress", j], "protocol", "cidr_blocks", "ipv6_cidr_blocks")
}

tf_sg_ingress contains entry if {
	some i, r in items(input.resources)
	r.type == "aws_security_group_rule"
	is_managed(r)
	lower(r.after.type) == "ingress"
	entry := tf_entry(r.address, r.after, tf_unknown_at(r, []), ["resources", i, "after"], "protocol", "cidr_blocks", "ipv6_cidr_blocks")
}

tf_sg_ingress contains entry if {
	some i, r in items(input.resources)
	r.type == "aws_vpc_security_group_ingress_rule"
	is_managed(r)
	entry := tf_entry(r.address, r.after, tf_unknown_at(r, []), ["resources", i, "after"], "ip_protocol", "cidr_ipv4", "cidr_ipv6")
}

# Inbound allow entries of network ACLs in a Terraform plan: aws_network_acl_rule, and the
# `ingress` blocks of aws_network_acl and aws_default_network_acl.
tf_nacl_ingress contains entry if {
	some i, r in items(input.resources)
	r.type == "aws_network_acl_rule"
	is_managed(r)
	not tf_is_unknown(r, ["egress"])
	cfn_inbound(object.get(r.after, "egress", null))
	lower(trim_space(r.after.rule_action)) == "allow"
	entry := tf_entry(r.address, r.after, tf_unknown_at(r, []), ["resources", i, "after"], "protocol", "cidr_block", "ipv6_cidr_block")
}

tf_nacl_ingress contains entry if {
	some i, r in items(input.resources)
	r.type in {"aws_network_acl", "aws_default_network_acl"}
	is_managed(r)
	some j, b in items(r.after.ingress)
	is_object(b)
	lower(trim_space(b.action)) == "allow"
	unknown := tf_unknown_at(r, ["ingress", j])
	entry := tf_entry(r.address, b, unknown, ["resources", i, "after", "ingress", j], "protocol", "cidr_block", "ipv6_cidr_block")
}

tf_entry(address, b, unknown, path, proto_key, v4_key, v6_key) := {
	"resource": address,
	"proto": tf_protocol_class(object.get(b, proto_key, null)),
	"lo": port_bound(b, "from_port", unknown),
	"hi": port_bound(b, "to_port", unknown),
	"v4": cidr_list(b, v4_key, path),
	"v6": cidr_list(b, v6_key, path),
}

# ---------------------------------------------------------------------------------------------
# Ingress entries the built-in rules check: world-open candidates
# ---------------------------------------------------------------------------------------------
#
# The entries of the sets above (the same objects) that have a world CIDR of either family and
# open one of `candidate_ports` over all/tcp/udp: every entry the built-in world-ingress rules
# can report, found with cheap rejections first (the world test, then the ports) and only then
# normalised. The built-in rules refer to them and to `admin_ports` as
# `data.tollgate.lib.<name>`: a reference through the `lib` import evaluates every rule of this
# package, the full sets above included, once per document or chunk.

# The ports any built-in ingress rule checks: the admin ports, and 22 for sg-ssh-world.
candidate_ports := admin_ports | {22}

# The entry for a candidate: defined when it opens a candidate port over all/tcp/udp.
world_candidate(resource, obj, path, proto, lo, hi, v4_key, v6_key) := {
	"resource": resource,
	"proto": proto,
	"lo": lo,
	"hi": hi,
	"v4": cidr_list(obj, v4_key, path),
	"v6": cidr_list(obj, v6_key, path),
} if {
	proto in {"all", "tcp", "udp"}
	count(tollgate.open_ports(proto, lo, hi, candidate_ports)) > 0
}

cfn_sg_world_ingress contains entry if {
	some name, res in items(input.Resources)
	res.Type == "AWS::EC2::SecurityGroup"
	rules := cfn_props(res).SecurityGroupIngress
	is_array(rules)
	some i, e in rules

	# Only objects with a CidrIp or CidrIpv6 key pass (so no intrinsic does).
	tollgate.has_world_cidr(e, ["CidrIp", "CidrIpv6"])
	proto := tollgate.protocol_class(object.get(e, "IpProtocol", null), cfn_protocols)
	lo := tollgate.port_bound(e, "FromPort", {})
	hi := tollgate.port_bound(e, "ToPort", {})
	entry := world_candidate(name, e, ["Resources", name, "Properties", "SecurityGroupIngress", i], proto, lo, hi, "CidrIp", "CidrIpv6")
}

cfn_sg_world_ingress contains entry if {
	some name, res in items(input.Resources)
	res.Type == "AWS::EC2::SecurityGroupIngress"
	e := cfn_props(res)
	tollgate.has_world_cidr(e, ["CidrIp", "CidrIpv6"])
	proto := tollgate.protocol_class(object.get(e, "IpProtocol", null), cfn_protocols)
	lo := tollgate.port_bound(e, "FromPort", {})
	hi := tollgate.port_bound(e, "ToPort", {})
	entry := world_candidate(name, e, ["Resources", name, "Properties"], proto, lo, hi, "CidrIp", "CidrIpv6")
}

cfn_nacl_world_ingress contains entry if {
	some name, res in items(input.Resources)
	res.Type == "AWS::EC2::NetworkAclEntry"
	e := cfn_props(res)
	tollgate.has_world_cidr(e, ["CidrBlock", "Ipv6CidrBlock"])
	not is_intrinsic(object.get(e, "Egress", null))
	cfn_inbound(object.get(e, "Egress", null))
	lower(trim_space(e.RuleAction)) == "allow"
	range := range_object(object.get(e, "PortRange", {}))
	proto := tollgate.protocol_class(object.get(e, "Protocol", null), cfn_protocols)
	lo := tollgate.port_bound(range, "From", {})
	hi := tollgate.port_bound(range, "To", {})
	entry := world_candidate(name, e, ["Resources", name, "Properties"], proto, lo, hi, "CidrBlock", "Ipv6CidrBlock")
}

tf_sg_world_ingress contains entry if {
	some i, r in items(input.resources)
	r.type in {"aws_security_group", "aws_default_security_group"}
	is_managed(r)
	some j, b in items(r.after.ingress)

	# Only objects pass.
	tollgate.has_world_cidr(b, ["cidr_blocks", "ipv6_cidr_blocks"])
	entry := tf_world_entry(r, b, ["ingress", j], ["resources", i, "after", "ingress", j], "protocol", "cidr_blocks", "ipv6_cidr_blocks")
}

tf_sg_world_ingress contains entry if {
	some i, r in items(input.resources)
	r.type == "aws_security_group_rule"
	is_managed(r)
	lower(r.after.type) == "ingress"
	tollgate.has_world_cidr(r.after, ["cidr_blocks", "ipv6_cidr_blocks"])
	entry := tf_world_entry(r, r.after, [], ["resources", i, "after"], "protocol", "cidr_blocks", "ipv6_cidr_blocks")
}

tf_sg_world_ingress contains entry if {
	some i, r in items(input.resources)
	r.type == "aws_vpc_security_group_ingress_rule"
	is_managed(r)
	tollgate.has_world_cidr(r.after, ["cidr_ipv4", "cidr_ipv6"])
	entry := tf_world_entry(r, r.after, [], ["resources", i, "after"], "ip_protocol", "cidr_ipv4", "cidr_ipv6")
}

tf_nacl_world_ingress contains entry if {
	some i, r in items(input.resources)
	r.type == "aws_network_acl_rule"
	is_managed(r)
	tollgate.has_world_cidr(r.after, ["cidr_block", "ipv6_cidr_block"])
	not tf_is_unknown(r, ["egress"])
	cfn_inbound(object.get(r.after, "egress", null))
	lower(trim_space(r.after.rule_action)) == "allow"
	entry := tf_world_entry(r, r.after, [], ["resources", i, "after"], "protocol", "cidr_block", "ipv6_cidr_block")
}

tf_nacl_world_ingress contains entry if {
	some i, r in items(input.resources)
	r.type in {"aws_network_acl", "aws_default_network_acl"}
	is_managed(r)
	some j, b in items(r.after.ingress)

	# Only objects pass.
	tollgate.has_world_cidr(b, ["cidr_block", "ipv6_cidr_block"])
	lower(trim_space(b.action)) == "allow"
	entry := tf_world_entry(r, b, ["ingress", j], ["resources", i, "after", "ingress", j], "protocol", "cidr_block", "ipv6_cidr_block")
}

# tf_entry for a candidate: `unknown_path` locates b's `after_unknown` object.
tf_world_entry(r, b, unknown_path, path, proto_key, v4_key, v6_key) := entry if {
	unknown := tf_unknown_at(r, unknown_path)
	proto := tollgate.protocol_class(object.get(b, proto_key, null), tf_protocols)
	lo := tollgate.port_bound(b, "from_port", unknown)
	hi := tollgate.port_bound(b, "to_port", unknown)
	entry := world_candidate(r.address, b, path, proto, lo, hi, v4_key, v6_key)
}

# The CIDRs at `obj[key]` (a list or a single value) with their paths.
cidr_list(obj, key, path) := [{"value": v, "path": array.concat(path, [key, k])} |
	some k, v in obj[key]
] if {
	is_array(obj[key])
} else := [{"value": obj[key], "path": array.concat(path, [key])}] if {
	is_string(obj[key])
} else := []

# The first CIDR of `cidrs` that is world-open in `family` ("ipv4", "ipv6" or "any").
first_world(cidrs, family) := worlds[0] if {
	worlds := [c | some c in cidrs; world_in(c.value, family)]
	count(worlds) > 0
}

# is_world_ipv4, is_world_ipv6 or is_world, by name, in one body.
world_in(v, family) if family in {"any", tollgate.world_cidr_family(v)}

# The finding for an ingress entry that opens any of `ports` over one of `protocols` to a world
# CIDR of `family`: one per entry, at its first world CIDR. Undefined when there is none.
world_ingress_finding(entry, family, ports, protocols, what) := {
	"message": sprintf("%s allows %s from %s", [what, describe_ports(open), cidr_text(cidr.value)]),
	"pointer": pointer(cidr.path),
	"resource": entry.resource,
} if {
	entry.proto in protocols
	open := tollgate.open_ports(entry.proto, entry.lo, entry.hi, ports)
	count(open) > 0
	cidr := first_world(array.concat(entry.v4, entry.v6), family)
}
