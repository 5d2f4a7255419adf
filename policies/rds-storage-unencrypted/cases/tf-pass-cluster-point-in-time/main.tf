# Trap: aws_rds_cluster restored to a point in time of another cluster
# (restore_to_point_in_time block) inherits its source's encryption and is exempt without
# storage_encrypted: no findings.

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
  engine              = "aurora-mysql"
  skip_final_snapshot = true

  restore_to_point_in_time {
    source_cluster_identifier  = "production"
    restore_type               = "copy-on-write"
    use_latest_restorable_time = true
  }
}
