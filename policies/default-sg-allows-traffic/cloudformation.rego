# default-sg-allows-traffic — cloudformation. The contract is CONTROLS.md; helpers are in policies/lib/tollgate.rego.
# tollgate: scope=resource
# tollgate: types=*
package tollgate.rules.cloudformation.default_sg_allows_traffic

import rego.v1

import data.tollgate.lib

metadata := {"id": "default-sg-allows-traffic"}

# A `Fn::GetAtt [<vpc>, DefaultSecurityGroup]` (or the dotted string form).
default_sg_vpc(v) := g[0] if {
	is_object(v)
	count(v) == 1
	g := v["Fn::GetAtt"]
	is_array(g)
	count(g) == 2
	g[1] == "DefaultSecurityGroup"
}

default_sg_vpc(v) := trim_suffix(g, ".DefaultSecurityGroup") if {
	is_object(v)
	count(v) == 1
	g := v["Fn::GetAtt"]
	is_string(g)
	endswith(g, ".DefaultSecurityGroup")
}

direction := {"AWS::EC2::SecurityGroupIngress": "ingress", "AWS::EC2::SecurityGroupEgress": "egress"}

# A rule added to a VPC's default security group.
deny contains {
	"message": sprintf("Security group %s rule %s is added to the default security group of VPC %v", [direction[res.Type], name, vpc]),
	"pointer": lib.pointer(["Resources", name, "Properties", "GroupId"]),
	"resource": name,
} if {
	some name, res in lib.items(input.Resources)
	direction[res.Type]
	vpc := default_sg_vpc(lib.cfn_props(res).GroupId)
}

# A resource attached to a VPC's default security group: a SecurityGroupIds / SecurityGroups
# list anywhere in its Properties that holds the default group.
deny contains {
	"message": sprintf("%s %s is attached to the default security group of VPC %v", [res.Type, name, vpc]),
	"pointer": lib.pointer(array.concat(array.concat(["Resources", name, "Properties"], path), [k])),
	"resource": name,
} if {
	some name, res in lib.items(input.Resources)
	props := lib.cfn_props(res)
	# Only a resource that names a default security group somewhere can hold one (a cheap
	# test: most resources do not, and walking every property of every resource is not).
	contains(json.marshal(props), "DefaultSecurityGroup")
	walk(props, [path, list])
	count(path) > 0
	path[count(path) - 1] in {"SecurityGroupIds", "SecurityGroups"}
	is_array(list)
	some k, v in list
	vpc := default_sg_vpc(v)
}
