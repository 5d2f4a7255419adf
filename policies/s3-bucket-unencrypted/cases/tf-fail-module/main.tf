# Trap: child module. module.store encrypts its own aws_s3_bucket.this; the root
# module's aws_s3_bucket.this (same local name) has no encryption and is flagged.

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "AKIAFAKEFAKEFAKEFAKE"
  secret_key                  = "fake-secret-key-for-offline-plans"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}

module "store" {
  source = "./modules/store"
}

resource "aws_s3_bucket" "this" {
  bucket = "tollgate-fixture-root"
}
