# nacl-admin-ports-world — terraform. The contract is CONTROLS.md; helpers are in policies/lib/tollgate.rego.
# tollgate: scope=resource
# tollgate: types=aws_network_acl_rule,aws_network_acl,aws_default_network_acl
package tollgate.rules.terraform.nacl_admin_ports_world

import rego.v1

import data.tollgate.lib

metadata := {"id": "nacl-admin-ports-world"}

# aws_network_acl_rule (inbound, allow) and the ingress blocks of aws_network_acl and
# aws_default_network_acl that open an admin port to a world CIDR over all/tcp/udp.
deny contains finding if {
	some entry in data.tollgate.lib.tf_nacl_world_ingress
	finding := lib.world_ingress_finding(entry, "any", data.tollgate.lib.admin_ports, {"all", "tcp", "udp"}, "Network ACL entry")
}
