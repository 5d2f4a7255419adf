# sg-ssh-world — cloudformation. The contract is CONTROLS.md; helpers are in policies/lib/tollgate.rego.
# tollgate: scope=resource
# tollgate: types=AWS::EC2::SecurityGroup,AWS::EC2::SecurityGroupIngress
package tollgate.rules.cloudformation.sg_ssh_world

import rego.v1

import data.tollgate.lib

metadata := {"id": "sg-ssh-world"}

# Security-group ingress that opens port 22 to a world CIDR (IPv4 or IPv6) over all/tcp.
# Port 22 only: this control does not follow the admin_ports option.
deny contains finding if {
	some entry in data.tollgate.lib.cfn_sg_world_ingress
	finding := lib.world_ingress_finding(entry, "any", {22}, {"all", "tcp"}, "Security group ingress")
}
