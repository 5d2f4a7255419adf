# efs-unencrypted — terraform. The contract is CONTROLS.md; helpers are in policies/lib/tollgate.rego.
# tollgate: scope=resource
# tollgate: types=aws_efs_file_system
package tollgate.rules.terraform.efs_unencrypted

import rego.v1

import data.tollgate.lib

metadata := {"id": "efs-unencrypted"}

deny contains {
	"message": sprintf("EFS file system %s is not encrypted (encrypted is not true)", [r.address]),
	"pointer": lib.pointer(lib.value_path(r.after, "encrypted", ["resources", i, "after"], ["resources", i, "after"])),
	"resource": r.address,
} if {
	some i, r in lib.items(input.resources)
	r.type == "aws_efs_file_system"
	lib.is_managed(r)
	not lib.is_true(object.get(r.after, "encrypted", null))
}
