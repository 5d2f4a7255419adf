# vpc-flow-logs-missing — cloudformation. The contract is CONTROLS.md; helpers are in policies/lib/tollgate.rego.
# tollgate: types=AWS::EC2::VPC,AWS::EC2::FlowLog
package tollgate.rules.cloudformation.vpc_flow_logs_missing

import rego.v1

import data.tollgate.lib

metadata := {"id": "vpc-flow-logs-missing"}

# The VPC a flow log's ResourceId names: `Ref <vpc>` or `Fn::GetAtt [<vpc>, VpcId]` (or the
# dotted string form).
flow_log_vpc(id) := id.Ref if {
	is_object(id)
	count(id) == 1
	is_string(id.Ref)
}

flow_log_vpc(id) := g[0] if {
	is_object(id)
	count(id) == 1
	g := id["Fn::GetAtt"]
	is_array(g)
	count(g) == 2
	g[1] == "VpcId"
}

flow_log_vpc(id) := trim_suffix(g, ".VpcId") if {
	is_object(id)
	count(id) == 1
	g := id["Fn::GetAtt"]
	is_string(g)
	endswith(g, ".VpcId")
}

# The VPCs some flow log of the template is attached to, computed once per document (a set:
# the join below is one lookup per VPC). A flow log on a subnet or an ENI does not count.
logged_vpcs contains vpc if {
	some res in lib.items(input.Resources)
	res.Type == "AWS::EC2::FlowLog"
	props := lib.cfn_props(res)
	props.ResourceType == "VPC"
	vpc := flow_log_vpc(props.ResourceId)
}

deny contains {
	"message": "VPC has no flow log: no AWS::EC2::FlowLog with ResourceType VPC refers to it (Ref or GetAtt VpcId)",
	"pointer": lib.pointer(["Resources", name]),
	"resource": name,
} if {
	some name, res in lib.items(input.Resources)
	res.Type == "AWS::EC2::VPC"
	not name in logged_vpcs
}
