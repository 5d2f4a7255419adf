# Trap: module.s3 holds two buckets with one output each; the root encryption configuration
# is on module.s3.logs_id only. Following the outputs links it to module.s3.aws_s3_bucket.logs,
# not to module.s3.aws_s3_bucket.data, which is flagged (both names are unknown until apply).

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

resource "aws_s3_bucket_server_side_encryption_configuration" "logs" {
  bucket = module.s3.logs_id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}
