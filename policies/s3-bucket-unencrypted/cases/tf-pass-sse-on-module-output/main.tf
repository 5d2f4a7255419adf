# Trap: the bucket is in module.s3 and its encryption configuration in the root, on the
# module's output (bucket = module.s3.bucket_id). The bucket's name is unknown until apply
# (bucket_prefix), so only the configuration references link them: the output is followed to
# its expression inside the module (aws_s3_bucket.this.id). No findings.

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "AKIAFAKEFAKEFAKEFAKE"
  secret_key                  = "fake-secret-key-for-offline-plans"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}

module "s3" {
  source = "./s3"
}

resource "aws_s3_bucket_server_side_encryption_configuration" "s3" {
  bucket = module.s3.bucket_id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "aws:kms"
    }
  }
}
