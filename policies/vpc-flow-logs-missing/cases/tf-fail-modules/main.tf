# Trap: child modules. module.logged's VPC gets its flow log from module.flow_log, which
# receives the VPC id as an argument (var.vpc_id inside the module); module.unlogged's VPC has
# none and is the only one flagged (references resolve relative to each module instance).

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "AKIAFAKEFAKEFAKEFAKE"
  secret_key                  = "fake-secret-key-for-offline-plans"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}

module "logged" {
  source = "./modules/network"
}

module "unlogged" {
  source = "./modules/network"
}

module "flow_log" {
  source = "./modules/flow-log"
  vpc_id = module.logged.vpc_id
}
