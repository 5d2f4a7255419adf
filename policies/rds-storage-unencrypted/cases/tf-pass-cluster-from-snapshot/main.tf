# Trap: aws_rds_cluster restored from a snapshot (snapshot_identifier) inherits the snapshot's
# encryption and is exempt without storage_encrypted: no findings.

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "AKIAFAKEFAKEFAKEFAKE"
  secret_key                  = "fake-secret-key-for-offline-plans"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}

resource "aws_rds_cluster" "restored" {
  engine              = "aurora-postgresql"
  snapshot_identifier = "arn:aws:rds:us-east-1:123456789012:cluster-snapshot:nightly"
  skip_final_snapshot = true
}
