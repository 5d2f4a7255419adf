# kms-rotation-disabled — terraform. The contract is CONTROLS.md; helpers are in policies/lib/tollgate.rego.
# tollgate: scope=resource
# tollgate: types=aws_kms_key
package tollgate.rules.terraform.kms_rotation_disabled

import rego.v1

import data.tollgate.lib

metadata := {"id": "kms-rotation-disabled"}

spec_attributes := ["customer_master_key_spec", "key_spec"]

# Symmetric keys only: every spec attribute absent or SYMMETRIC_DEFAULT, none unknown.
symmetric(r) if {
	not some_unknown_spec(r)
	count([a | some a in spec_attributes; not symmetric_spec(object.get(r.after, a, null))]) == 0
}

some_unknown_spec(r) if {
	some a in spec_attributes
	lib.tf_is_unknown(r, [a])
}

symmetric_spec(v) if v == null

symmetric_spec(v) if v == ""

symmetric_spec(v) if v == "SYMMETRIC_DEFAULT"

deny contains {
	"message": sprintf("KMS key %s does not rotate automatically (enable_key_rotation is not true)", [r.address]),
	"pointer": lib.pointer(lib.value_path(r.after, "enable_key_rotation", ["resources", i, "after"], ["resources", i, "after"])),
	"resource": r.address,
} if {
	some i, r in lib.items(input.resources)
	r.type == "aws_kms_key"
	lib.is_managed(r)
	symmetric(r)
	not lib.is_true(object.get(r.after, "enable_key_rotation", null))
}
