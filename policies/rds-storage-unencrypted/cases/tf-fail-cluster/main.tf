# aws_rds_cluster without storage_encrypted (unknown in the plan: counts as not set,
# finding at change.after) and with storage_encrypted = false (finding at the value).
# The aws_rds_cluster_instance is not checked by this rule (the cluster governs).

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "AKIAFAKEFAKEFAKEFAKE"
  secret_key                  = "fake-secret-key-for-offline-plans"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}

resource "aws_rds_cluster" "unset" {
  engine          = "aurora-postgresql"
  master_username = "app"
  master_password = "not-a-real-password"
}

resource "aws_rds_cluster" "off" {
  engine            = "aurora-mysql"
  master_username   = "app"
  master_password   = "not-a-real-password"
  storage_encrypted = false
}

resource "aws_rds_cluster_instance" "unset" {
  cluster_identifier = aws_rds_cluster.unset.id
  instance_class     = "db.r6g.large"
  engine             = "aurora-postgresql"
}
