# sg-admin-ports-world-ipv6 — terraform. The contract is CONTROLS.md; helpers are in policies/lib/tollgate.rego.
# tollgate: scope=resource
# tollgate: types=aws_security_group,aws_default_security_group,aws_security_group_rule,aws_vpc_security_group_ingress_rule
package tollgate.rules.terraform.sg_admin_ports_world_ipv6

import rego.v1

import data.tollgate.lib

metadata := {"id": "sg-admin-ports-world-ipv6"}

# Security-group ingress that opens an admin port (22 and 3389 unless configured) to a world
# IPv6 CIDR over all/tcp/udp. One finding per entry, at its first world CIDR.
deny contains finding if {
	some entry in data.tollgate.lib.tf_sg_world_ingress
	finding := lib.world_ingress_finding(entry, "ipv6", data.tollgate.lib.admin_ports, {"all", "tcp", "udp"}, "Security group ingress")
}
