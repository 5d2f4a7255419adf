# vpc-flow-logs-missing — terraform. The contract is CONTROLS.md; helpers are in policies/lib/tollgate.rego.
# tollgate: types=aws_vpc,aws_flow_log
package tollgate.rules.terraform.vpc_flow_logs_missing

import rego.v1

import data.tollgate.lib

metadata := {"id": "vpc-flow-logs-missing"}

# VPCs with a flow log of the plan, computed once per document: through the configuration's
# references of `vpc_id` (module inputs and outputs followed), or by a known VPC id. A flow log
# on a subnet (`subnet_id`) or an ENI (`eni_id`) does not count.
logged_by_reference contains address if {
	some r in lib.items(input.resources)
	r.type == "aws_flow_log"
	lib.is_managed(r)
	some address in lib.items(object.get(object.get(r, "references", {}), "vpc_id", []))
}

logged_by_id contains id if {
	some r in lib.items(input.resources)
	r.type == "aws_flow_log"
	lib.is_managed(r)
	id := r.after.vpc_id
	lib.has_value(id)
}

logged(vpc) if vpc.config_address in logged_by_reference

logged(vpc) if vpc.after.id in logged_by_id

deny contains {
	"message": "VPC has no flow log: no aws_flow_log refers to it through vpc_id",
	"pointer": lib.pointer(["resources", i, "after"]),
	"resource": r.address,
} if {
	some i, r in lib.items(input.resources)
	r.type == "aws_vpc"
	lib.is_managed(r)
	not logged(r)
}
