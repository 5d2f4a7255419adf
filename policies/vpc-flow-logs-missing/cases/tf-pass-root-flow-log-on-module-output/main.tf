# Trap: a root flow log on a module output (vpc_id = module.net.vpc_id) covers the module's VPC.

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "AKIAFAKEFAKEFAKEFAKE"
  secret_key                  = "fake-secret-key-for-offline-plans"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}

module "net" {
  source = "./modules/network"
}

resource "aws_flow_log" "net" {
  vpc_id               = module.net.vpc_id
  traffic_type         = "REJECT"
  log_destination_type = "s3"
  log_destination      = "arn:aws:s3:::example-flow-logs"
}
