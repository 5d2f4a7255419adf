# default-sg-allows-traffic — terraform. The contract is CONTROLS.md; helpers are in policies/lib/tollgate.rego.
# tollgate: types=aws_vpc,aws_default_security_group
package tollgate.rules.terraform.default_sg_allows_traffic

import rego.v1

import data.tollgate.lib

metadata := {"id": "default-sg-allows-traffic"}

# An aws_default_security_group that keeps ingress or egress rules: one finding per block.
deny contains {
	"message": sprintf("Default security group %s keeps an %s rule; remove all rules from default security groups", [r.address, block]),
	"pointer": lib.pointer(["resources", i, "after", block, j]),
	"resource": r.address,
} if {
	some i, r in lib.items(input.resources)
	r.type == "aws_default_security_group"
	lib.is_managed(r)
	some block in ["ingress", "egress"]
	some j, _ in lib.items(r.after[block])
}

# VPCs whose default security group is managed by an aws_default_security_group of the plan:
# through the configuration's references, or by a known VPC id.
managed_by_reference contains address if {
	some r in lib.items(input.resources)
	r.type == "aws_default_security_group"
	some address in lib.items(object.get(object.get(r, "references", {}), "vpc_id", []))
}

managed_by_id contains id if {
	some r in lib.items(input.resources)
	r.type == "aws_default_security_group"
	id := r.after.vpc_id
	lib.has_value(id)
}

managed(vpc) if vpc.config_address in managed_by_reference

managed(vpc) if vpc.after.id in managed_by_id

# An aws_vpc whose default security group is not managed keeps AWS's allow rules.
deny contains {
	"message": sprintf("VPC %s has no aws_default_security_group, so its default security group keeps the rules AWS creates (all traffic within the group, all outbound)", [r.address]),
	"pointer": lib.pointer(["resources", i, "after"]),
	"resource": r.address,
} if {
	some i, r in lib.items(input.resources)
	r.type == "aws_vpc"
	lib.is_managed(r)
	not managed(r)
}
