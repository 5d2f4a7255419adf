variable "is_directory_bucket" {
  type    = bool
  default = false
}

resource "aws_s3_bucket" "this" {
  count         = var.is_directory_bucket ? 0 : 1
  bucket_prefix = "tollgate-fixture-"
}

resource "aws_s3_directory_bucket" "this" {
  count  = var.is_directory_bucket ? 1 : 0
  bucket = "tollgate-fixture--use1-az4--x-s3"
  location {
    name = "use1-az4"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  count  = 1
  bucket = var.is_directory_bucket ? aws_s3_directory_bucket.this[0].bucket : aws_s3_bucket.this[0].id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "aws:kms"
    }
  }
}
