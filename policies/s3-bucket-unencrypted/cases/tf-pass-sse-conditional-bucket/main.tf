# Trap: the encryption configuration's bucket is a variable-driven conditional over two
# resources, as terraform-aws-s3-bucket v4 writes it
# (bucket = var.is_directory_bucket ? aws_s3_directory_bucket.this[0].bucket : aws_s3_bucket.this[0].id),
# so its configuration references name both resources. The bucket has no name yet (unknown
# until apply), so only the references link it: no findings.

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "AKIAFAKEFAKEFAKEFAKE"
  secret_key                  = "fake-secret-key-for-offline-plans"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}

module "data" {
  source = "./bucket"
}
