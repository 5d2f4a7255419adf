# Trap: the encryption configuration names the bucket by a literal string, not a
# reference; it is joined by equal known values (its bucket = the bucket's bucket
# name): no findings.

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "AKIAFAKEFAKEFAKEFAKE"
  secret_key                  = "fake-secret-key-for-offline-plans"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}

resource "aws_s3_bucket" "data" {
  bucket = "tollgate-fixture-data"
}

resource "aws_s3_bucket_server_side_encryption_configuration" "data" {
  bucket = "tollgate-fixture-data"

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}
