# rds-storage-unencrypted — terraform. The contract is CONTROLS.md; helpers are in policies/lib/tollgate.rego.
# tollgate: scope=resource
# tollgate: types=aws_db_instance,aws_rds_cluster
package tollgate.rules.terraform.rds_storage_unencrypted

import rego.v1

import data.tollgate.lib

metadata := {"id": "rds-storage-unencrypted"}

# An aws_db_instance that is not a read replica (replicas inherit their source's encryption).
deny contains {
	"message": sprintf("DB instance %s storage is not encrypted (storage_encrypted is not true)", [r.address]),
	"pointer": lib.pointer(lib.value_path(r.after, "storage_encrypted", ["resources", i, "after"], ["resources", i, "after"])),
	"resource": r.address,
} if {
	some i, r in lib.items(input.resources)
	r.type == "aws_db_instance"
	lib.is_managed(r)
	not lib.is_true(object.get(r.after, "storage_encrypted", null))
	not lib.tf_is_set(r, "replicate_source_db")
}

# An aws_rds_cluster, unless Aurora Serverless v1 (engine_mode serverless, always encrypted) or
# restored (snapshot_identifier, a restore_to_point_in_time block: it inherits its source's
# encryption).
deny contains {
	"message": sprintf("DB cluster %s storage is not encrypted (storage_encrypted is not true)", [r.address]),
	"pointer": lib.pointer(lib.value_path(r.after, "storage_encrypted", ["resources", i, "after"], ["resources", i, "after"])),
	"resource": r.address,
} if {
	some i, r in lib.items(input.resources)
	r.type == "aws_rds_cluster"
	lib.is_managed(r)
	not lib.is_true(object.get(r.after, "storage_encrypted", null))
	not serverless(r.after.engine_mode)
	not lib.tf_is_set(r, "snapshot_identifier")
	not restored_to_point_in_time(r.after)
}

restored_to_point_in_time(after) if {
	blocks := after.restore_to_point_in_time
	is_array(blocks)
	count(blocks) > 0
}

serverless(mode) if lower(trim_space(mode)) == "serverless"
