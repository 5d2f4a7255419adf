module "net" {
  source = "./net"
}

output "vpc_id" {
  value = module.net.main_vpc_id
}
