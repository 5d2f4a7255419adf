# s3-bucket-unencrypted — cloudformation. The contract is CONTROLS.md; helpers are in policies/lib/tollgate.rego.
# tollgate: scope=resource
# tollgate: types=AWS::S3::Bucket
package tollgate.rules.cloudformation.s3_bucket_unencrypted

import rego.v1

import data.tollgate.lib

metadata := {"id": "s3-bucket-unencrypted"}

algorithms := {"AES256", "aws:kms", "aws:kms:dsse"}

# The rules of the bucket's default-encryption configuration.
sse_rules(props) := rules if {
	rules := props.BucketEncryption.ServerSideEncryptionConfiguration
	is_array(rules)
} else := []

encrypted(props) if {
	some rule in sse_rules(props)
	rule.ServerSideEncryptionByDefault.SSEAlgorithm in algorithms
}

# Where to point: the first written algorithm that is not a default-encryption one, else the
# resource.
finding_path(name, props) := array.concat(base, [bad[0], "ServerSideEncryptionByDefault", "SSEAlgorithm"]) if {
	base := ["Resources", name, "Properties", "BucketEncryption", "ServerSideEncryptionConfiguration"]
	bad := [i |
		some i, rule in sse_rules(props)
		a := rule.ServerSideEncryptionByDefault.SSEAlgorithm
		lib.has_value(a)
		not lib.is_intrinsic(a)
	]
	count(bad) > 0
} else := ["Resources", name]

deny contains {
	"message": "S3 bucket has no default encryption configuration (BucketEncryption with SSEAlgorithm AES256, aws:kms or aws:kms:dsse)",
	"pointer": lib.pointer(finding_path(name, props)),
	"resource": name,
} if {
	some name, res in lib.items(input.Resources)
	res.Type == "AWS::S3::Bucket"
	props := lib.cfn_props(res)
	not encrypted(props)
}
