# Trap: the encryption configuration's bucket is a variable-driven conditional over two
# resources (its references name aws_s3_directory_bucket.this and aws_s3_bucket.data), so
# aws_s3_bucket.data is encrypted; aws_s3_bucket.logs, which it does not reference, is
# flagged. No bucket has a name yet, so only references can link them.

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "AKIAFAKEFAKEFAKEFAKE"
  secret_key                  = "fake-secret-key-for-offline-plans"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}

variable "is_directory_bucket" {
  type    = bool
  default = false
}

resource "aws_s3_bucket" "data" {
  count         = var.is_directory_bucket ? 0 : 1
  bucket_prefix = "tollgate-fixture-data-"
}

resource "aws_s3_bucket" "logs" {
  bucket_prefix = "tollgate-fixture-logs-"
}

resource "aws_s3_directory_bucket" "this" {
  count  = var.is_directory_bucket ? 1 : 0
  bucket = "tollgate-fixture--use1-az4--x-s3"
  location {
    name = "use1-az4"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "data" {
  bucket = var.is_directory_bucket ? aws_s3_directory_bucket.this[0].bucket : aws_s3_bucket.data[0].id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}
