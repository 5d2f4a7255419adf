resource "aws_s3_bucket" "this" {
  bucket_prefix = "tollgate-fixture-"
}

output "bucket_id" {
  value = aws_s3_bucket.this.id
}
