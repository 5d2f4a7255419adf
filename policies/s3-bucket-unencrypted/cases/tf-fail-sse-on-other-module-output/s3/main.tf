resource "aws_s3_bucket" "data" {
  bucket_prefix = "tollgate-fixture-data-"
}

resource "aws_s3_bucket" "logs" {
  bucket_prefix = "tollgate-fixture-logs-"
}

output "data_id" {
  value = aws_s3_bucket.data.id
}

output "logs_id" {
  value = aws_s3_bucket.logs.id
}
