# ebs-unencrypted — terraform. The contract is CONTROLS.md; helpers are in policies/lib/tollgate.rego.
# tollgate: scope=resource
# tollgate: types=aws_ebs_volume,aws_instance,aws_launch_template
package tollgate.rules.terraform.ebs_unencrypted

import rego.v1

import data.tollgate.lib

metadata := {"id": "ebs-unencrypted"}

# An aws_ebs_volume not created from a snapshot.
deny contains {
	"message": sprintf("EBS volume %s is not encrypted (encrypted is not true)", [r.address]),
	"pointer": lib.pointer(lib.value_path(r.after, "encrypted", ["resources", i, "after"], ["resources", i, "after"])),
	"resource": r.address,
} if {
	some i, r in lib.items(input.resources)
	r.type == "aws_ebs_volume"
	lib.is_managed(r)
	not lib.is_true(object.get(r.after, "encrypted", null))
	not lib.tf_is_set(r, "snapshot_id")
}

# root_block_device and ebs_block_device blocks of aws_instance.
deny contains {
	"message": sprintf("%s %s of %s is not encrypted (encrypted is not true)", [block, device_name(b), r.address]),
	"pointer": lib.pointer(lib.value_path(b, "encrypted", ["resources", i, "after", block, j], ["resources", i, "after", block, j])),
	"resource": r.address,
} if {
	some i, r in lib.items(input.resources)
	r.type == "aws_instance"
	lib.is_managed(r)
	some block in ["root_block_device", "ebs_block_device"]
	some j, b in lib.items(r.after[block])
	is_object(b)
	not lib.is_true(object.get(b, "encrypted", null))
}

# block_device_mappings[*].ebs[*] of aws_launch_template (encrypted is the string "true").
deny contains {
	"message": sprintf("EBS block device %s of %s is not encrypted (encrypted is not \"true\")", [device_name(m), r.address]),
	"pointer": lib.pointer(lib.value_path(ebs, "encrypted", ["resources", i, "after", "block_device_mappings", j, "ebs", k], ["resources", i, "after", "block_device_mappings", j, "ebs", k])),
	"resource": r.address,
} if {
	some i, r in lib.items(input.resources)
	r.type == "aws_launch_template"
	lib.is_managed(r)
	some j, m in lib.items(r.after.block_device_mappings)
	some k, ebs in lib.items(m.ebs)
	is_object(ebs)
	not lib.is_true(object.get(ebs, "encrypted", null))
}

device_name(b) := b.device_name if {
	lib.has_value(b.device_name)
} else := "(no device name)"
