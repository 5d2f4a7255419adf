# Trap: aws_rds_cluster with engine_mode = "serverless" (Aurora Serverless v1, always
# encrypted) is exempt although storage_encrypted is not set.

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "AKIAFAKEFAKEFAKEFAKE"
  secret_key                  = "fake-secret-key-for-offline-plans"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}

resource "aws_rds_cluster" "serverless" {
  engine          = "aurora-mysql"
  engine_mode     = "serverless"
  master_username = "app"
  master_password = "not-a-real-password"
}
