# rds-public-access — cloudformation. The contract is CONTROLS.md; helpers are in policies/lib/tollgate.rego.
# tollgate: scope=resource
# tollgate: types=AWS::RDS::DBInstance
package tollgate.rules.cloudformation.rds_public_access

import rego.v1

import data.tollgate.lib

metadata := {"id": "rds-public-access"}

deny contains {
	"message": "DB instance is publicly accessible (PubliclyAccessible is true)",
	"pointer": lib.pointer(["Resources", name, "Properties", "PubliclyAccessible"]),
	"resource": name,
} if {
	some name, res in lib.items(input.Resources)
	res.Type == "AWS::RDS::DBInstance"
	lib.is_true(lib.cfn_props(res).PubliclyAccessible)
}
