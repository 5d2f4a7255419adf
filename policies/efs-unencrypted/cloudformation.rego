# efs-unencrypted — cloudformation. The contract is CONTROLS.md; helpers are in policies/lib/tollgate.rego.
# tollgate: scope=resource
# tollgate: types=AWS::EFS::FileSystem
package tollgate.rules.cloudformation.efs_unencrypted

import rego.v1

import data.tollgate.lib

metadata := {"id": "efs-unencrypted"}

deny contains {
	"message": "EFS file system is not encrypted (Encrypted is not true)",
	"pointer": lib.pointer(lib.value_path(props, "Encrypted", ["Resources", name, "Properties"], ["Resources", name])),
	"resource": name,
} if {
	some name, res in lib.items(input.Resources)
	res.Type == "AWS::EFS::FileSystem"
	props := lib.cfn_props(res)
	not lib.is_true(object.get(props, "Encrypted", null))
}
