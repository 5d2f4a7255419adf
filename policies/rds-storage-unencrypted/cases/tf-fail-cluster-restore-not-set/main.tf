# Trap: the restore settings are written but not set: snapshot_identifier is a variable whose
# default is null, and restore_to_point_in_time is a dynamic block over an empty list. Neither
# cluster is exempt: both are flagged at the start of their change.after.

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "AKIAFAKEFAKEFAKEFAKE"
  secret_key                  = "fake-secret-key-for-offline-plans"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}

variable "source_snapshot" {
  type    = string
  default = null
}

variable "restore_from" {
  type    = list(string)
  default = []
}

resource "aws_rds_cluster" "from_snapshot" {
  engine              = "aurora-postgresql"
  master_username     = "app"
  master_password     = "not-a-real-password"
  snapshot_identifier = var.source_snapshot
  skip_final_snapshot = true
}

resource "aws_rds_cluster" "point_in_time" {
  engine              = "aurora-mysql"
  master_username     = "app"
  master_password     = "not-a-real-password"
  skip_final_snapshot = true

  dynamic "restore_to_point_in_time" {
    for_each = var.restore_from
    content {
      source_cluster_identifier  = restore_to_point_in_time.value
      use_latest_restorable_time = true
    }
  }
}
