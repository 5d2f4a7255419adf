# kms-rotation-disabled — cloudformation. The contract is CONTROLS.md; helpers are in policies/lib/tollgate.rego.
# tollgate: scope=resource
# tollgate: types=AWS::KMS::Key
package tollgate.rules.cloudformation.kms_rotation_disabled

import rego.v1

import data.tollgate.lib

metadata := {"id": "kms-rotation-disabled"}

# Symmetric keys only: KeySpec absent or SYMMETRIC_DEFAULT (an unknown KeySpec is not assumed
# symmetric).
symmetric(props) if object.get(props, "KeySpec", null) == null

symmetric(props) if props.KeySpec == "SYMMETRIC_DEFAULT"

deny contains {
	"message": "KMS key does not rotate automatically (EnableKeyRotation is not true)",
	"pointer": lib.pointer(lib.value_path(props, "EnableKeyRotation", ["Resources", name, "Properties"], ["Resources", name])),
	"resource": name,
} if {
	some name, res in lib.items(input.Resources)
	res.Type == "AWS::KMS::Key"
	props := lib.cfn_props(res)
	symmetric(props)
	not lib.is_true(object.get(props, "EnableKeyRotation", null))
}
