# ebs-unencrypted — terraform. The contract is CONTROLS.md; helpers are in policies/lib/tollgate.rego.
# tollgate: types=aws_ebs_volume,aws_instance,aws_launch_template,aws_launch_configuration,aws_ebs_encryption_by_default
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

# An aws_instance with no root_block_device in the plan (absent, empty or unknown): its root
# volume's encryption is not set. Not for an instance launched from a template (the template
# governs), nor when the plan turns EBS encryption by default on (the rule then looks at more
# than one resource: no `scope=resource` header).
deny contains {
	"message": sprintf("%s has no root_block_device, so its root volume's encryption is not set (add root_block_device { encrypted = true })", [r.address]),
	"pointer": lib.pointer(["resources", i, "after"]),
	"resource": r.address,
} if {
	not encryption_by_default
	some i, r in lib.items(input.resources)
	r.type == "aws_instance"
	lib.is_managed(r)
	not has_blocks(r.after, "root_block_device")
	not has_blocks(r.after, "launch_template")
}

# The plan holds an aws_ebs_encryption_by_default with enabled true.
encryption_by_default if {
	some r in lib.items(input.resources)
	r.type == "aws_ebs_encryption_by_default"
	lib.is_managed(r)
	lib.is_true(object.get(r.after, "enabled", null))
}

# `obj[key]` is a non-empty list of blocks.
has_blocks(obj, key) if {
	blocks := obj[key]
	is_array(blocks)
	count(blocks) > 0
}

# root_block_device and ebs_block_device blocks of aws_launch_configuration; an
# ebs_block_device with a known snapshot_id inherits the snapshot's encryption.
deny contains {
	"message": sprintf("%s %s of %s is not encrypted (encrypted is not true)", [block, device_name(b), r.address]),
	"pointer": lib.pointer(lib.value_path(b, "encrypted", ["resources", i, "after", block, j], ["resources", i, "after", block, j])),
	"resource": r.address,
} if {
	some i, r in lib.items(input.resources)
	r.type == "aws_launch_configuration"
	lib.is_managed(r)
	some block in ["root_block_device", "ebs_block_device"]
	some j, b in lib.items(r.after[block])
	is_object(b)
	not lib.is_true(object.get(b, "encrypted", null))
	not lib.has_value(object.get(b, "snapshot_id", null))
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
