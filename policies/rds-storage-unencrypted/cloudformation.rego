# rds-storage-unencrypted — cloudformation. The contract is CONTROLS.md; helpers are in policies/lib/tollgate.rego.
# tollgate: scope=resource
# tollgate: types=AWS::RDS::DBInstance,AWS::RDS::DBCluster
package tollgate.rules.cloudformation.rds_storage_unencrypted

import rego.v1

import data.tollgate.lib

metadata := {"id": "rds-storage-unencrypted"}

# A DB instance outside a cluster (the cluster governs) and not a read replica (replicas inherit).
deny contains {
	"message": "DB instance storage is not encrypted (StorageEncrypted is not true)",
	"pointer": lib.pointer(lib.value_path(props, "StorageEncrypted", ["Resources", name, "Properties"], ["Resources", name])),
	"resource": name,
} if {
	some name, res in lib.items(input.Resources)
	res.Type == "AWS::RDS::DBInstance"
	props := lib.cfn_props(res)
	not lib.is_true(object.get(props, "StorageEncrypted", null))
	not lib.cfn_is_set(props, "DBClusterIdentifier")
	not lib.cfn_is_set(props, "SourceDBInstanceIdentifier")
}

# A DB cluster, unless Aurora Serverless v1 (EngineMode serverless, always encrypted) or restored
# from a snapshot or cloned from another cluster (SnapshotIdentifier, SourceDBClusterIdentifier:
# it inherits its source's encryption).
deny contains {
	"message": "DB cluster storage is not encrypted (StorageEncrypted is not true)",
	"pointer": lib.pointer(lib.value_path(props, "StorageEncrypted", ["Resources", name, "Properties"], ["Resources", name])),
	"resource": name,
} if {
	some name, res in lib.items(input.Resources)
	res.Type == "AWS::RDS::DBCluster"
	props := lib.cfn_props(res)
	not lib.is_true(object.get(props, "StorageEncrypted", null))
	not serverless(props.EngineMode)
	not lib.cfn_is_set(props, "SnapshotIdentifier")
	not lib.cfn_is_set(props, "SourceDBClusterIdentifier")
}

serverless(mode) if lower(trim_space(mode)) == "serverless"
