# nacl-admin-ports-world — cloudformation. The contract is CONTROLS.md; helpers are in policies/lib/tollgate.rego.
# tollgate: scope=resource
# tollgate: types=AWS::EC2::NetworkAclEntry
package tollgate.rules.cloudformation.nacl_admin_ports_world

import rego.v1

import data.tollgate.lib

metadata := {"id": "nacl-admin-ports-world"}

# Each AWS::EC2::NetworkAclEntry that is inbound (Egress false or absent), allows, and opens an
# admin port to a world CIDR (IPv4 or IPv6) over all/tcp/udp. Entry order is not evaluated.
deny contains finding if {
	some entry in data.tollgate.lib.cfn_nacl_world_ingress
	finding := lib.world_ingress_finding(entry, "any", data.tollgate.lib.admin_ports, {"all", "tcp", "udp"}, "Network ACL entry")
}
